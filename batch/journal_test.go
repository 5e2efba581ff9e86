package batch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard/offboard/zoom"
)

// journalRecords are the data records of a report written by a run that
// stopped: lines 2 to 9, one of each kind of row the journal tells apart.
var journalRecords = [][]string{
	{"2", "a@example.com", "deactivate", "updated", "204", "", "deactivated", "1", "t1", stamp},
	{"3", "b@example.com", "deactivate", "unchanged", "200", "", "already inactive", "1", "t2",
		stamp},
	{"4", "c@example.com", "deactivate", "failed", "404", "1001", "User does not exist", "1", "t3",
		stamp},
	{"5", "d@example.com", "deactivate", "failed", "", "", "refusing user", "", "", stamp},
	{"6", "e@example.com", "deactivate", "pending", "", "", notSent + "the run was interrupted", "",
		"", stamp},
	{"7", "f@example.com", "deactivate", "pending", "", "", "abandoned in flight", "1", "", stamp},
	{"8", "g@example.com", "deactivate", "pending", "", "", notChecked + "the run was interrupted",
		"", "", stamp},
	{"9", "h@example.com", "", "invalid", "", "", "not an address", "", "", stamp},
}

const stamp = "2026-12-03T09:00:00Z"

var testTime = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// writeJournal writes a report file holding the header and recs, and
// returns its path.
func writeJournal(t *testing.T, recs [][]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "leavers.report.csv")
	content := csvText(append([][]string{ReportHeader}, recs...))
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func csvText(recs [][]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.String()
}

// rowOf returns the input row a report record was written for.
func rowOf(rec []string) Row {
	var line int
	fmt.Sscan(rec[0], &line)
	return Row{Line: line, User: rec[1], Action: zoom.Action(rec[2])}
}

func TestJournalDoneAndUncertain(t *testing.T) {
	j, err := ReadJournal(writeJournal(t, journalRecords))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line      int
		done      Outcome
		uncertain bool
	}{
		{2, Updated, false},
		{3, Unchanged, false},
		{4, "", true},  // failed after a request: its answer may have been lost
		{5, "", false}, // failed before any request
		{6, "", false}, // never sent
		{7, "", true},  // abandoned after a request was sent
		{8, "", true},  // an earlier run may have sent it
		{9, "", false}, // invalid: never sent
		{10, "", true}, // not recorded: a crash may have hidden it
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("line ", tt.line), func(t *testing.T) {
			row := Row{Line: tt.line}
			if got := j.Done(row); got != tt.done {
				t.Errorf("Done(line %d) = %q; want %q", tt.line, got, tt.done)
			}
			if got := j.Uncertain(row); got != tt.uncertain {
				t.Errorf("Uncertain(line %d) = %v; want %v", tt.line, got, tt.uncertain)
			}
		})
	}
}

func TestJournalNewestRecordWins(t *testing.T) {
	recs := [][]string{
		{"2", "a@example.com", "deactivate", "pending", "", "", "abandoned in flight", "1", "",
			stamp},
		{"3", "b@example.com", "deactivate", "updated", "204", "", "deactivated", "1", "", stamp},
		{"2", "a@example.com", "deactivate", "unchanged", "200", "", "already inactive", "1", "",
			stamp},
	}
	j, err := ReadJournal(writeJournal(t, recs))
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Done(Row{Line: 2}); got != Unchanged {
		t.Errorf("Done(line 2) = %q; want unchanged, its newest record", got)
	}
	if j.Uncertain(Row{Line: 2}) {
		t.Errorf("Uncertain(line 2) = true; want false once a newer record settles it")
	}
}

func TestJournalVerify(t *testing.T) {
	j, err := ReadJournal(writeJournal(t, journalRecords))
	if err != nil {
		t.Fatal(err)
	}
	same := func() []Row {
		var rows []Row
		for _, rec := range journalRecords {
			rows = append(rows, rowOf(rec))
		}
		return rows
	}
	tests := []struct {
		name     string
		edit     func([]Row) []Row
		wantLine int // 0: no mismatch
		wantGot  string
	}{
		{"same file", func(r []Row) []Row { return r }, 0, ""},
		{"more rows than recorded", func(r []Row) []Row {
			return append(r, Row{Line: 10, User: "new@example.com", Action: zoom.Deactivate})
		}, 0, ""},
		{"other user", func(r []Row) []Row { r[3].User = "x@example.com"; return r }, 5,
			"deactivate x@example.com"},
		{"other action", func(r []Row) []Row { r[1].Action = zoom.Activate; return r }, 3,
			"activate b@example.com"},
		{"rows moved down", func(r []Row) []Row {
			for i := range r {
				r[i].Line++
			}
			return r
		}, 3, "deactivate a@example.com"},
		{"recorded row gone", func(r []Row) []Row { return append(r[:4:4], r[5:]...) }, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := tt.edit(same())
			err := j.Verify(seqOf(rows))
			var me *MismatchError
			switch {
			case tt.wantLine == 0 && err != nil:
				t.Errorf("Verify() = %v; want nil", err)
			case tt.wantLine == 0:
			case !errors.As(err, &me) || me.Line != tt.wantLine || me.Got != tt.wantGot:
				t.Errorf("Verify() = %v; want a mismatch at line %d with %q",
					err, tt.wantLine, tt.wantGot)
			case !strings.Contains(err.Error(), fmt.Sprint("line ", tt.wantLine)):
				t.Errorf("Verify() = %q; want it to name line %d", err, tt.wantLine)
			}
		})
	}
}

// seqOf yields rows as Input.Rows does.
func seqOf(rows []Row) func(func(Row, error) bool) {
	return func(yield func(Row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestReadJournalTornTail(t *testing.T) {
	whole := csvText(append([][]string{ReportHeader}, journalRecords...))
	lastStart := len(whole) - len(csvText(journalRecords[len(journalRecords)-1:]))
	for cut := lastStart; cut < len(whole); cut++ {
		t.Run(fmt.Sprint("cut at ", cut), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			if err := os.WriteFile(path, []byte(whole[:cut]), 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := ReadJournal(path)
			if err != nil {
				t.Fatalf("ReadJournal(cut at %d) = %v; want the torn line ignored", cut, err)
			}
			// Only a record that lost no more than its line end is whole.
			wantLast := cut == len(whole)-1
			if got := len(j.rows); got != len(journalRecords)-1 && !wantLast ||
				wantLast && got != len(journalRecords) {
				t.Errorf("ReadJournal(cut at %d) records %d lines; want %d", cut, got,
					len(journalRecords)-1)
			}
			checkResumeAppends(t, j, path)
		})
	}
}

// checkResumeAppends resumes the report at path from j, writes one more
// result and checks that the file is whole: one record per line, in order.
func checkResumeAppends(t *testing.T, j *Journal, path string) {
	t.Helper()
	r, err := ResumeReport(j)
	if err != nil {
		t.Fatalf("ResumeReport() = %v", err)
	}
	if err := r.Write(Result{Line: 9, User: "h@example.com", Outcome: Invalid,
		Message: "not an address"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	recs := readReport(t, path)
	header := strings.Join(recs[0], ",")
	if len(recs) != len(journalRecords)+1 || header != strings.Join(ReportHeader, ",") {
		t.Fatalf("report after resume = %q; want the header and %d records",
			recs, len(journalRecords))
	}
	for i, rec := range recs[1:] {
		if want := fmt.Sprint(i + 2); rec[0] != want || len(rec) != len(ReportHeader) {
			t.Errorf("record %d after resume = %q; want line %s, %d fields", i+1, rec, want,
				len(ReportHeader))
		}
	}
}

func TestReadJournalTornHeader(t *testing.T) {
	header := strings.Join(ReportHeader, ",")
	for _, content := range []string{"", "li", header[:len(header)/2], header} {
		t.Run(fmt.Sprintf("%d bytes", len(content)), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := ReadJournal(path)
			if err != nil {
				t.Fatalf("ReadJournal(%q) = %v; want an empty journal", content, err)
			}
			if len(j.rows) != 0 || !j.Uncertain(Row{Line: 2}) {
				t.Errorf("ReadJournal(%q) records %d lines; want none", content, len(j.rows))
			}
			r, err := ResumeReport(j)
			if err != nil {
				t.Fatal(err)
			}
			r.Write(Result{Line: 2, User: "a@example.com", Outcome: Updated, FinishedAt: testTime})
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			recs := readReport(t, path)
			if len(recs) != 2 || recs[0][0] != "line" || recs[1][0] != "2" {
				t.Errorf("report resumed from %q = %q; want the header and line 2", content, recs)
			}
		})
	}
}

func TestReadJournalDamage(t *testing.T) {
	good := journalRecords
	torn := "10,z@example.com,deact"
	tests := []struct {
		name    string
		content string
		want    string // in the error
	}{
		{"not a report", "email\na@example.com\n", "not an offboard report"},
		{"bad outcome inside", csvText(append([][]string{ReportHeader, good[0],
			{"3", "b@example.com", "deactivate", "done", "", "", "", "", "", stamp}}, good[2:]...)),
			"report line 3"},
		{"short record inside", csvText([][]string{ReportHeader, good[0]}) + "3,b@example.com\n" +
			csvText(good[2:]), "report line 3"},
		{"two torn records",
			csvText(append([][]string{ReportHeader}, good...)) + torn + "\n" + torn,
			"report line 10"},
		{"bad line number", csvText([][]string{ReportHeader,
			{"x", "a@example.com", "deactivate", "updated", "", "", "", "", "", stamp}, good[1]}),
			"line number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadJournal(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadJournal(%s) = %v; want an error saying %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestReadJournalZeroedTail(t *testing.T) {
	// A power loss can leave the blocks past the last sync full of zeros.
	whole := csvText(append([][]string{ReportHeader}, journalRecords...))
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path, []byte(whole+strings.Repeat("\x00", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := ReadJournal(path)
	if err != nil {
		t.Fatalf("ReadJournal(zeroed tail) = %v; want the zeros ignored", err)
	}
	if len(j.rows) != len(journalRecords) {
		t.Errorf("ReadJournal(zeroed tail) records %d lines; want %d",
			len(j.rows), len(journalRecords))
	}
	checkResumeAppends(t, j, path)
}
