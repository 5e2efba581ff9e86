package batch

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/offboard/offboard/zoom"
)

func TestReadCleanCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"  alice@example.com\t", "alice@example.com"},
		{"\u00a0alice@example.com\u00a0", "alice@example.com"},
		{"\ufeffEmail", "Email"},
		{"\u200balice@example.com\u200b", "alice@example.com"},
		{"\r\n", ""},
		{"a b", "a b"},
	}
	for _, tt := range tests {
		if got := cleanCell(tt.in); got != tt.want {
			t.Errorf("cleanCell(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadIsZoomID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"zJKyaiAyTNC-MWjiWC18KQ", true},
		{"_l0MP1U7Qn2JgJ4oEJbVZQ", true},
		{"-gbbm4KGTsSvL5zmELDJdw", true},
		{"zjkyaiaytnc-mwjiwc18kq", true},
		{"abcdefghijklmnop", false},       // a word: no digit and no capital
		{"1234567890123456789012", false}, // digits only
		{"zJKyaiAyTNC", false},            // too short
		{"zJKyaiAyTNC-MWjiWC18KQzJKyaiAyTNC", false},
		{"zJKyaiAyTNC+MWjiWC18KQ", false},
		{"zJKyaiAyTNC MWjiWC18KQ", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isZoomID(tt.in); got != tt.want {
			t.Errorf("isZoomID(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestReadIdentityProblem(t *testing.T) {
	tests := []struct {
		in   string
		want string // a part of the problem, or "" for none
	}{
		{"alice@example.com", ""},
		{"Alice.Smith+leaver@Example.CO.UK", ""},
		{"o'brien@example.ie", ""},
		{"józef@example.pl", ""},
		{"zJKyaiAyTNC-MWjiWC18KQ", ""},
		{"", "no user"},
		{"me", `"me" is refused`},
		{"Me", `"me" is refused`},
		{"alice", "neither an email address nor a Zoom user ID"},
		{"12345", "neither an email address nor a Zoom user ID"},
		{"a@b@example.com", "more than one @"},
		{"@example.com", "nothing comes before the @"},
		{"alice@", "no domain"},
		{"alice@localhost", "has no dot"},
		{"alice@example.com.", "malformed"},
		{"alice@-example.com", "malformed"},
		{".alice@example.com", "dot is misplaced"},
		{"al..ice@example.com", "dot is misplaced"},
		{"alice smith@example.com", "space"},
		{"alice,bob@example.com", "holds ','"},
		{"alice;bob@example.com", "holds ';'"},
		{"Alice <alice@example.com>", "without a name"},
		{"al\u200bice@example.com", "U+200B"},
		{"al\x01ice@example.com", "U+0001"},
		{"al\ufffdce@example.com", "could not be decoded"},
		{strings.Repeat("a", 65) + "@example.com", "64 bytes"},
		{"a@" + strings.Repeat("b", 250) + ".com", "254 bytes"},
	}
	for _, tt := range tests {
		got := identityProblem(tt.in)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("identityProblem(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadUserKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Alice@Example.com", "alice@example.com"},
		{"ÉLODIE@example.fr", "élodie@example.fr"},
	}
	for _, tt := range tests {
		if userKey(tt.a) != userKey(tt.b) {
			t.Errorf("userKey(%q) = %q; want it equal to userKey(%q) = %q",
				tt.a, userKey(tt.a), tt.b, userKey(tt.b))
		}
	}
	if a, b := "zJKyaiAyTNC-MWjiWC18KQ", "zjkyaiaytnc-mwjiwc18kq"; userKey(a) == userKey(b) {
		t.Errorf("userKey(%q) = userKey(%q); want Zoom user IDs to differ by case", a, b)
	}
}

func TestReadJudge(t *testing.T) {
	lay := colLayout{header: []string{"Email", "Action", "Date"}, identity: 0, action: 1,
		effective: 2}
	opt := ReadOptions{OnlyDomains: []string{"Example.com"}, DefaultAction: zoom.Activate,
		Today: time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)}
	j, err := newRowJudge(&opt)
	if err != nil {
		t.Fatal(err)
	}
	j.colLayout = lay
	tests := []struct {
		rec     []string
		action  zoom.Action
		outcome Outcome
		message string // a part of it
	}{
		{[]string{"a@example.com", "deactivate", ""}, zoom.Deactivate, "", ""},
		{[]string{"a@example.com", "ACTIVATE", ""}, zoom.Activate, "", ""},
		{[]string{"a@example.com"}, zoom.Activate, "", ""},
		{[]string{"a@example.com", "disable"}, "", Invalid, "neither activate nor deactivate"},
		{[]string{"a@EXAMPLE.COM", "", "2026-12-01"}, zoom.Activate, "", ""},
		{[]string{"a@example.com", "", "2026-12-02"}, zoom.Activate, Skipped, "effective 2026-12-02"},
		{[]string{"a@example.com", "", "2026-12-01T23:59:59-01:00"}, zoom.Activate, Skipped,
			"effective 2026-12-02"},
		{[]string{"a@example.com", "", "1/12/2026"}, zoom.Activate, Invalid, "YYYY-MM-DD"},
		{[]string{"a@example.org"}, zoom.Activate, Invalid, "not one of the allowed domains"},
		{[]string{"zJKyaiAyTNC-MWjiWC18KQ"}, zoom.Activate, Invalid, "cannot be checked"},
		{[]string{"me", "disable"}, "", Invalid, `"me"`},
		{[]string{"", "deactivate"}, zoom.Deactivate, Invalid, "no user"},
	}
	for _, tt := range tests {
		got := j.judge(tt.rec, 7)
		if got.Line != 7 || got.Action != tt.action || got.Outcome != tt.outcome ||
			!strings.Contains(got.Message, tt.message) || (tt.message == "") != (got.Message == "") {
			t.Errorf("judge(%q) = %+v; want action %q, outcome %q, message with %q",
				tt.rec, got, tt.action, tt.outcome, tt.message)
		}
	}
}

func TestReadNormHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Email", "email"},
		{"E-Mail", "email"},
		{"email_address", "emailaddress"},
		{"Zoom User ID", "zoomuserid"},
		{"User\u00a0Id", "userid"},
	}
	for _, tt := range tests {
		if got := normHeader(tt.in); got != tt.want {
			t.Errorf("normHeader(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadFindIdentity(t *testing.T) {
	tests := []struct {
		header []string
		want   int
		err    error
	}{
		{[]string{"Name", "Email"}, 1, nil},
		{[]string{"ID", "User", "User ID", "EMAIL ADDRESS"}, 3, nil},
		{[]string{"ID", "User", "userid"}, 2, nil},
		{[]string{"ID", "User"}, 1, nil},
		{[]string{"Name", "id"}, 1, nil},
		{[]string{"Name", "Primary Email Address"}, 1, nil},
		{[]string{"Email", "e-mail"}, 0, ErrAmbiguousIdentity},
		{[]string{"Work Email", "Home Email"}, 0, ErrAmbiguousIdentity},
		{[]string{"Name", "", "Dept"}, 0, ErrNoIdentity},
		{[]string{"", ""}, 0, ErrNoIdentity},
	}
	for _, tt := range tests {
		got, err := findIdentity(tt.header)
		if !errors.Is(err, tt.err) || err == nil && got != tt.want {
			t.Errorf("findIdentity(%q) = %d, %v; want %d, %v", tt.header, got, err, tt.want, tt.err)
		}
	}
}

func TestReadFindNamed(t *testing.T) {
	header := []string{"Email", "email", "Work Mail", "Start"}
	tests := []struct {
		name string
		want int
		err  error
	}{
		{"email", 1, nil},
		{"work_mail", 2, nil},
		{" Start ", 3, nil},
		{"EMAIL", 0, ErrDuplicateColumn},
		{"Mail", 0, ErrNoColumn},
	}
	for _, tt := range tests {
		got, err := findNamed(header, tt.name)
		if !errors.Is(err, tt.err) || err == nil && got != tt.want {
			t.Errorf("findNamed(%q) = %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestReadHasHeader(t *testing.T) {
	tests := []struct {
		first []string
		opt   ReadOptions
		want  bool
	}{
		{[]string{"Email"}, ReadOptions{}, true},
		{[]string{"Name", "Dept"}, ReadOptions{}, true},
		{[]string{"alice@example.com"}, ReadOptions{}, false},
		{[]string{" zJKyaiAyTNC-MWjiWC18KQ ", "activate"}, ReadOptions{}, false},
		{[]string{"alice@example.com", "Email"}, ReadOptions{}, true},
		{[]string{"alice@example.com", "ACTIVATE", ""}, ReadOptions{}, false},
		{[]string{"alice@example.com", "Alice"}, ReadOptions{}, true},
		{[]string{"alice@example.com", "", "Alice"}, ReadOptions{}, true},
		{[]string{"PrimaryEmailAddress1"}, ReadOptions{}, true},
		{[]string{"Email (name@example.com)"}, ReadOptions{}, true},
		{[]string{"alice@example.com"}, ReadOptions{Column: "Mail"}, true},
	}
	for _, tt := range tests {
		if got := hasHeader(tt.first, &tt.opt); got != tt.want {
			t.Errorf("hasHeader(%q, %+v) = %v; want %v", tt.first, tt.opt, got, tt.want)
		}
	}
}

func TestReadDetectDelimiter(t *testing.T) {
	tests := []struct {
		name, sample string
		truncated    bool
		want         rune
	}{
		{"comma", "Email,Name\na@x.com,Al\n", false, ','},
		{"semicolon with quoted commas", "Name;Email\n\"Doe, J\";j@x.com\n", false, ';'},
		{"semicolon with bare commas", "Name;Email\nDoe, J;j@x.com\nLee, K;k@x.com\n", false, ';'},
		{"comma with semicolons", "Email,Note\na@x.com,\"left; gone\"\nb@x.com,a;b\n", false, ','},
		{"tab with commas", "Email\tName\na@x.com\tDoe, J\n", false, '\t'},
		{"pipe", "email|action\na@x.com|activate\n", false, '|'},
		{"one column", "Email\na@x.com\nb@x.com\n", false, ','},
		{"list with actions", "a@x.com;activate\nb@x.com;deactivate\n", false, ';'},
		{"cut inside a quote", "Email;Note\na@x.com;\"long, note", true, ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detectDelimiter([]byte(tt.sample), tt.truncated, recognisable)
			if got != tt.want {
				t.Errorf("detectDelimiter(%q) = %q; want %q", tt.sample, got, tt.want)
			}
		})
	}
}

func TestReadSniffNotCSV(t *testing.T) {
	tests := []struct {
		name, head string
		enc        textEncoding
		want       error
	}{
		{"text", "Email\na@x.com\n", encUTF8, nil},
		{"xlsx", "PK\x03\x04\x14\x00", encUTF8, ErrNotCSV},
		{"xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", encUTF8, ErrNotCSV},
		{"pdf", "%PDF-1.4", encUTF8, ErrNotCSV},
		{"rtf", "{\\rtf1\\ansi", encUTF8, ErrNotCSV},
		{"html", "\n<!DOCTYPE html><html>", encUTF8, ErrNotCSV},
		{"nul", "Email\x00\x01\x02\x03", encUTF8, ErrNotCSV},
		{"utf-16le without bom", "E\x00m\x00a\x00i\x00l\x00\n\x00", encUTF8, ErrEncoding},
		{"utf-16be without bom", "\x00E\x00m\x00a\x00i\x00l\x00\n", encUTF8, ErrEncoding},
		{"utf-16le named", "E\x00m\x00a\x00i\x00l\x00\n\x00", encUTF16LE, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sniffNotCSV([]byte(tt.head), tt.enc); !errors.Is(err, tt.want) ||
				(tt.want == nil) != (err == nil) {
				t.Errorf("sniffNotCSV(%q) = %v; want %v", tt.head, err, tt.want)
			}
		})
	}
}

func TestReadUserTally(t *testing.T) {
	type add struct {
		user   string
		action zoom.Action
		line   int
	}
	adds := []add{
		{"a@x.com", zoom.Deactivate, 2},
		{"A@X.COM", zoom.Deactivate, 3},
		{"b@x.com", zoom.Activate, 4},
		{"c@x.com", zoom.Deactivate, 5},
		{"c@x.com", zoom.Activate, 6},
		{"C@x.com", zoom.Deactivate, 7},
	}
	tally := newUserTally(maphash.MakeSeed(), 0)
	for _, a := range adds {
		tally.add(a.user, a.action, a.line)
	}
	var sum Summary
	tally.settle(&sum)
	if sum.ToActivate != 1 || sum.ToDeactivate != 1 || sum.Skipped != 1 || sum.Invalid != 3 {
		t.Errorf("settle() = %+v; want 1 to activate, 1 to deactivate, 1 skipped, 3 invalid", sum)
	}
	want := []struct {
		outcome Outcome
		message string
	}{
		{"", ""}, {Skipped, "duplicate of line 2"}, {"", ""},
		{Invalid, "conflicts with line 6, which asks to activate the same user"},
		{Invalid, "conflicts with line 5, which asks to deactivate the same user"},
		{Invalid, "conflicts with line 6, which asks to activate the same user"},
	}
	for i, a := range adds {
		row := Row{Line: a.line, User: a.user, Action: a.action}
		err := tally.verdict(&row)
		if err != nil || row.Outcome != want[i].outcome || row.Message != want[i].message {
			t.Errorf("verdict(%+v) = %q, %q, %v; want %q, %q", a, row.Outcome, row.Message, err,
				want[i].outcome, want[i].message)
		}
	}
	for _, row := range []Row{
		{Line: 8, User: "d@x.com", Action: zoom.Activate},
		{Line: 9, User: "a@x.com", Action: zoom.Activate},
		{Line: 1, User: "a@x.com", Action: zoom.Deactivate},
	} {
		if err := tally.verdict(&row); !errors.Is(err, ErrChanged) {
			t.Errorf("verdict(%+v) = %v; want ErrChanged for a row never added", row, err)
		}
	}
}

func TestReadUserTallyFind(t *testing.T) {
	for _, n := range []int{1, 2, 3, 100, 5000} {
		tally := newUserTally(maphash.MakeSeed(), n)
		for i := range n {
			tally.add(fmt.Sprintf("user%d@example.com", i), zoom.Deactivate, i+2)
		}
		var sum Summary
		tally.settle(&sum)
		for i := range n {
			row := Row{Line: i + 2, User: fmt.Sprintf("USER%d@example.com", i), Action: zoom.Deactivate}
			if err := tally.verdict(&row); err != nil || row.Outcome != "" {
				t.Fatalf("verdict(%+v) among %d users = %q, %v; want it sent", row, n, row.Outcome, err)
			}
			row = Row{Line: n + 2, User: fmt.Sprintf("other%d@example.com", i), Action: zoom.Deactivate}
			if err := tally.verdict(&row); !errors.Is(err, ErrChanged) {
				t.Fatalf("verdict(%+v) among %d users = %v; want ErrChanged", row, n, err)
			}
		}
	}
}
