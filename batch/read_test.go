package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard/offboard/zoom"
)

// The -update flag may be defined by another test file of the package too,
// so it is looked up rather than owned.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func updateGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// readToday is the day that the golden tests take for today.
var readToday = time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)

// readGoldenCases are the golden tests: testdata/read/FILE.csv read with opt
// gives testdata/read/NAME.golden.
var readGoldenCases = []struct {
	name, file string
	opt        ReadOptions
}{
	{name: "basic"},
	{name: "basic-activate", file: "basic", opt: ReadOptions{DefaultAction: zoom.Activate}},
	{name: "bom-crlf"},
	{name: "utf16le-tab"},
	{name: "utf16be"},
	{name: "windows-1252"},
	{name: "windows-1252-encoding", file: "windows-1252",
		opt: ReadOptions{Encoding: "windows-1252"}},
	{name: "windows-1252-latin1", file: "windows-1252", opt: ReadOptions{Encoding: "latin1"}},
	{name: "bad-utf8-bom"},
	{name: "utf16-nobom"},
	{name: "semicolon"},
	{name: "semicolon-as-comma", file: "semicolon", opt: ReadOptions{Delimiter: ','}},
	{name: "comma-as-semicolon", file: "basic", opt: ReadOptions{Delimiter: ';'}},
	{name: "pipe"},
	{name: "excel-sep"},
	{name: "excel-trailing"},
	{name: "ragged"},
	{name: "header-names"},
	{name: "user-id"},
	{name: "zoom-user-id"},
	{name: "email-and-id"},
	{name: "zoom-export"},
	{name: "zoom-import"},
	{name: "work-email"},
	{name: "ambiguous"},
	{name: "ambiguous-column", file: "ambiguous", opt: ReadOptions{Column: "personal email"}},
	{name: "no-identity"},
	{name: "column-absent", file: "basic", opt: ReadOptions{Column: "Mail"}},
	{name: "list"},
	{name: "list-action"},
	{name: "list-column", file: "list", opt: ReadOptions{Column: "Email"}},
	{name: "xlsx"},
	{name: "pdf"},
	{name: "binary"},
	{name: "empty"},
	{name: "blank"},
	{name: "header-only"},
	{name: "judge"},
	{name: "effective", opt: ReadOptions{EffectiveColumn: "leaving date"}},
	{name: "effective-absent", file: "basic", opt: ReadOptions{EffectiveColumn: "Leaving Date"}},
	{name: "domains", opt: ReadOptions{OnlyDomains: []string{"example.com", "@Corp.Example.org"}}},
	{name: "bare-quote"},
	{name: "open-quote"},
	{name: "cr-only"},
	{name: "duplicate-action"},
}

func TestReadGolden(t *testing.T) {
	for _, c := range readGoldenCases {
		t.Run(c.name, func(t *testing.T) {
			file := c.file
			if file == "" {
				file = c.name
			}
			opt := c.opt
			opt.Name, opt.Today = file+".csv", readToday
			got := readGolden(filepath.Join("testdata", "read", file+".csv"), opt)
			golden := filepath.Join("testdata", "read", c.name+".golden")
			if updateGoldens() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./batch -run Golden -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("reading %s.csv gives:\n%s\nwant (%s):\n%s", file, got, golden, want)
			}
		})
	}
}

// readGolden returns what reading path with opt gives, as golden files hold
// it: the error of a file that fails, or else the summary as comments
// followed by the rows as CSV.
func readGolden(path string, opt ReadOptions) string {
	in, err := Open(path, opt)
	if err != nil {
		return err.Error() + "\n"
	}
	defer in.Close()
	var b bytes.Buffer
	b.WriteString(describeSummary(in.Summary()))
	w := csv.NewWriter(&b)
	w.Write([]string{"line", "user", "action", "outcome", "message"})
	for row, err := range in.Rows() {
		if err != nil {
			w.Write([]string{"error", err.Error()})
			break
		}
		w.Write([]string{strconv.Itoa(row.Line), row.User, string(row.Action),
			string(row.Outcome), row.Message})
	}
	w.Flush()
	return b.String()
}

// describeSummary returns s as comment lines.
func describeSummary(s Summary) string {
	header := "no header"
	if s.Header != nil {
		header = "header " + quoteList(s.Header)
	}
	bom := ""
	if s.BOM {
		bom = " with BOM"
	}
	return fmt.Sprintf("# %s%s, delimiter %q, %s\n# users %s, actions %s, effective %s\n"+
		"# %d rows: %d to activate, %d to deactivate, %d invalid, %d skipped\n",
		s.Encoding, bom, s.Delimiter, header,
		describeColumn(s.Identity), describeColumn(s.Action), describeColumn(s.Effective),
		s.Rows, s.ToActivate, s.ToDeactivate, s.Invalid, s.Skipped)
}

func describeColumn(c Column) string {
	if c.Index < 0 {
		return "none"
	}
	return fmt.Sprintf("column %d %q", c.Index+1, c.Name)
}

// writeInput writes data to a file in a new temporary directory and returns
// its path.
func writeInput(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "leavers.csv")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadErrorPositions(t *testing.T) {
	tests := []struct {
		name, data string
		opt        ReadOptions
		want       error
		line, col  int
	}{
		{"bad byte", "Email,Name\nalice@example.com,Alice\nbob@x.com,Bj\xf6rn\n",
			ReadOptions{}, ErrEncoding, 3, 13},
		{"bad byte after bom", "\ufeffEmail\n\xe9@example.com\n", ReadOptions{}, ErrEncoding, 2, 1},
		{"cut rune at end", "Email\nalice@example.com\xc3", ReadOptions{}, ErrEncoding, 2, 18},
		{"bare quote", "Email,Name\nbob@x.com,Bob \"B\" Jones\n", ReadOptions{}, ErrSyntax, 2, 15},
		{"open quote", "Email,Name\na@x.com,\"Al\nb@x.com\n", ReadOptions{}, ErrSyntax, 3, 9},
		{"no identity", "\n\nName,Dept\nAl,IT\n", ReadOptions{}, ErrNoIdentity, 3, 0},
		{"ambiguous", "Work Email,Home Email\na@x.com,b@x.com\n", ReadOptions{},
			ErrAmbiguousIdentity, 1, 0},
		{"column absent", "Email\na@x.com\n", ReadOptions{Column: "Mail"}, ErrNoColumn, 1, 0},
		{"header only", "\nEmail\n", ReadOptions{}, ErrEmpty, 2, 0},
		{"empty", "", ReadOptions{}, ErrEmpty, 0, 0},
		{"zip", "PK\x03\x04rest", ReadOptions{}, ErrNotCSV, 0, 0},
		{"nul", "Email\na\x00@x.com\n", ReadOptions{}, ErrNotCSV, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(writeInput(t, tt.data), tt.opt)
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, tt.want) {
				t.Fatalf("Open(%q) = %v; want an *InputError wrapping %v", tt.data, err, tt.want)
			}
			if ie.Line != tt.line || ie.Column != tt.col {
				t.Errorf("Open(%q) = error at %d:%d; want %d:%d (%v)",
					tt.data, ie.Line, ie.Column, tt.line, tt.col, err)
			}
			if !strings.HasPrefix(err.Error(), ie.File+":") || !strings.HasSuffix(ie.File, "leavers.csv") {
				t.Errorf("Open(%q) = %q; want it to start with the file name", tt.data, err)
			}
		})
	}
}

func TestInputErrorText(t *testing.T) {
	tests := []struct {
		err  InputError
		want string
	}{
		{InputError{"leavers.csv", 3, 7, ErrEncoding}, "leavers.csv:3:7: invalid UTF-8"},
		{InputError{"leavers.csv", 3, 0, ErrSyntax}, "leavers.csv:3: malformed CSV"},
		{InputError{"leavers.csv", 0, 7, ErrEmpty}, "leavers.csv: no users"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("InputError.Error() = %q; want %q", got, tt.want)
		}
	}
}

func TestReadEncodingAdvice(t *testing.T) {
	_, err := Open(filepath.Join("testdata", "read", "windows-1252.csv"), ReadOptions{})
	for _, want := range []string{"windows-1252.csv:3:", "iconv -f WINDOWS-1252 -t UTF-8",
		"--encoding windows-1252"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(windows-1252.csv) = %v; want it to say %q", err, want)
		}
	}
}

func TestReadOptionsRefused(t *testing.T) {
	tests := []struct {
		name string
		opt  ReadOptions
	}{
		{"encoding", ReadOptions{Encoding: "ebcdic"}},
		{"action", ReadOptions{DefaultAction: "clock_in"}},
		{"delimiter", ReadOptions{Delimiter: '"'}},
		{"domain", ReadOptions{OnlyDomains: []string{"localhost"}}},
	}
	path := writeInput(t, "Email\na@example.com\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open(path, tt.opt); !errors.Is(err, ErrOption) {
				t.Errorf("Open(%+v) = %v; want ErrOption", tt.opt, err)
			}
		})
	}
}

func TestOpenReaderStandardInput(t *testing.T) {
	data := "Email\nalice@example.com\nbob@example.com\n"
	in, err := OpenReader(strings.NewReader(data), ReadOptions{Name: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Summary().Rows; got != 2 {
		t.Errorf("Summary().Rows = %d; want 2", got)
	}
	var users []string
	for row, err := range in.Rows() {
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, row.User)
	}
	if got, want := strings.Join(users, " "), "alice@example.com bob@example.com"; got != want {
		t.Errorf("Rows() users = %q; want %q", got, want)
	}
	if err := in.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}

	_, err = OpenReader(strings.NewReader("Name\nAl\n"), ReadOptions{Name: "-"})
	if err == nil || !strings.HasPrefix(err.Error(), "standard input:1: ") {
		t.Errorf("OpenReader(no identity) = %v; want an error about standard input:1", err)
	}
}

func TestOpenReaderLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	in, err := OpenReader(strings.NewReader("Email\na@example.com\n"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
	if _, err := OpenReader(strings.NewReader("PK\x03\x04"), ReadOptions{}); err == nil {
		t.Fatal("OpenReader(zip) = nil error; want ErrNotCSV")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("OpenReader and Close left %d files in the temporary directory", len(left))
	}
}

func TestRowsAfterChange(t *testing.T) {
	tests := []struct {
		name, before, after string
		keepTime            bool // whether the file keeps its modification time
	}{
		{"row added", "Email\na@example.com\n", "Email\na@example.com\nb@example.com\n", false},
		{"action flipped", "Email,Action\na@example.com,activate\n",
			"Email,Action\na@example.com,deactivat\n", false},
		{"same size", "Email\na@example.com\n", "Email\nb@example.com\n", false},
		{"same size and time", "Email\na@example.com\n", "Email\nb@example.com\n", true},
		{"same users and time", "Email,Name\na@example.com,Al\n", "Email,Name\na@example.com,Bo\n",
			true},
		{"row moved", "Email\na@example.com\nb@example.com\n", "Email\nb@example.com\na@example.com\n",
			true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeInput(t, tt.before)
			in, err := Open(path, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			// Rewrite the file in place, as an editor that does not rename might.
			if err := os.WriteFile(path, []byte(tt.after), 0o600); err != nil {
				t.Fatal(err)
			}
			mtime := time.Now().Add(time.Hour)
			if tt.keepTime {
				mtime = in.modTime
			}
			if err := os.Chtimes(path, time.Time{}, mtime); err != nil {
				t.Fatal(err)
			}
			var last error
			for _, err := range in.Rows() {
				last = err
			}
			if !errors.Is(last, ErrChanged) {
				t.Errorf("Rows() after the file changed ends with %v; want ErrChanged", last)
			}
		})
	}
}

func TestRowsTwiceAndStop(t *testing.T) {
	in, err := Open(filepath.Join("testdata", "read", "judge.csv"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	count := func(limit int) int {
		n := 0
		for _, err := range in.Rows() {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == limit {
				break
			}
		}
		return n
	}
	if got := count(3); got != 3 {
		t.Errorf("Rows() stopped after 3 rows gave %d; want 3", got)
	}
	if got, want := count(-1), in.Summary().Rows; got != want {
		t.Errorf("Rows() again gave %d rows; want %d", got, want)
	}
}

func TestRowsAfterClose(t *testing.T) {
	in, err := Open(writeInput(t, "Email\na@example.com\n"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
	for _, err := range in.Rows() {
		if err == nil {
			t.Fatal("Rows() after Close yielded a row; want an error")
		}
	}
}

func TestRowsConcurrently(t *testing.T) {
	in, err := Open(filepath.Join("testdata", "read", "judge.csv"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	want := in.Summary().Rows
	counts := make(chan int)
	for range 4 {
		go func() {
			n := 0
			for _, err := range in.Rows() {
				if err != nil {
					n = -1
					break
				}
				n++
			}
			counts <- n
		}()
	}
	for range 4 {
		if got := <-counts; got != want {
			t.Errorf("Rows() read at the same time as others gave %d rows; want %d", got, want)
		}
	}
}

func TestReadRecordTooLong(t *testing.T) {
	data := "Email,Note\na@example.com,\"" + strings.Repeat("x", maxRecordBytes+10) + "\n"
	_, err := Open(writeInput(t, data), ReadOptions{})
	var ie *InputError
	if !errors.As(err, &ie) || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "quote") {
		t.Errorf("Open(an unclosed quote before 1 MiB) = %v; want ErrSyntax about a quote", err)
	}
}

func TestReadExcelSep(t *testing.T) {
	tests := []struct {
		sample string
		want   rune
		ok     bool
	}{
		{"sep=;\r\nName;Email\r\n", ';', true},
		{"sep=\t\n", '\t', true},
		{"sep=|", '|', true},
		{"sep=\"\n", 0, false},
		{"sep=;;\n", 0, false},
		{"sep=\n", 0, false},
		{"Email\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := excelSep([]byte(tt.sample))
		if got != tt.want || ok != tt.ok {
			t.Errorf("excelSep(%q) = %q, %v; want %q, %v", tt.sample, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOpenDirectory(t *testing.T) {
	_, err := Open(t.TempDir(), ReadOptions{})
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("Open(a directory) = %v; want an *InputError", err)
	}
}

// endlessZeros is an endless stream of NUL bytes, as from /dev/zero.
type endlessZeros struct{ n int64 }

func (z *endlessZeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

func TestOpenReaderRefusesBinaryBeforeCopying(t *testing.T) {
	z := &endlessZeros{}
	_, err := OpenReader(z, ReadOptions{Name: "-"})
	if !errors.Is(err, ErrNotCSV) {
		t.Fatalf("OpenReader(zeros) = %v; want ErrNotCSV", err)
	}
	if z.n > 1<<20 {
		t.Errorf("OpenReader read %d bytes of zeros before refusing; want no more than its sniff", z.n)
	}
}
