package batch

import (
	"bytes"
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

func readRecords(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(f).ReadAll()
}

func readReport(t *testing.T, path string) [][]string {
	t.Helper()
	recs, err := readRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestReportFileOrderAndColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leavers.report.csv")
	r, err := CreateReport(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.FixedZone("X", 3600))
	// Rows finish out of order, as workers do.
	for _, seq := range []int{2, 0, 3, 1} {
		res := Result{
			Seq:        seq,
			Line:       seq*2 + 2,
			User:       "u" + string(rune('a'+seq)),
			Action:     zoom.Deactivate,
			Outcome:    Updated,
			HTTPStatus: 204,
			Attempts:   1,
			FinishedAt: at,
		}
		if seq == 1 {
			res.Outcome, res.HTTPStatus, res.ZoomCode = Failed, 404, 1001
			res.Message = "User does not exist, really"
		}
		if err := r.Write(res); err != nil {
			t.Fatal(err)
		}
	}
	// Before Close the journal already holds every row, in the order they finished.
	if got := readReport(t, path); len(got) != 5 || got[1][0] != "6" {
		t.Fatalf("journal before Close = %q; want 4 rows, line 6 first", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got := readReport(t, path)
	if strings.Join(got[0], ",") != strings.Join(ReportHeader, ",") {
		t.Errorf("header = %q; want %q", got[0], ReportHeader)
	}
	want := [][]string{
		{"2", "ua", "deactivate", "updated", "204", "", "", "1", "", "2026-12-03T09:00:00Z"},
		{
			"4",
			"ub",
			"deactivate",
			"failed",
			"404",
			"1001",
			"User does not exist, really",
			"1",
			"",
			"2026-12-03T09:00:00Z",
		},
		{"6", "uc", "deactivate", "updated", "204", "", "", "1", "", "2026-12-03T09:00:00Z"},
		{"8", "ud", "deactivate", "updated", "204", "", "", "1", "", "2026-12-03T09:00:00Z"},
	}
	for i, w := range want {
		if strings.Join(got[i+1], "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %q; want %q", i+1, got[i+1], w)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("report mode = %v; want 0600", perm)
	}
}

func TestReportRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateReport(path); !errors.Is(err, os.ErrExist) {
		t.Fatalf("CreateReport(existing) = %v; want os.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Errorf("existing file = %q; want it untouched", b)
	}
}

func TestStreamReportHoldsRowsInOrder(t *testing.T) {
	var buf bytes.Buffer
	r, err := NewStreamReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int{1, 2, 0, 4, 3} {
		r.Write(Result{Seq: seq, Line: seq + 2, User: "u", Outcome: Skipped})
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, rec := range recs[1:] {
		lines = append(lines, rec[0])
	}
	if got := strings.Join(lines, ","); got != "2,3,4,5,6" {
		t.Errorf("stream report lines = %s; want 2,3,4,5,6", got)
	}
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestReportWriteErrorSticks(t *testing.T) {
	r := &Report{w: csv.NewWriter(failingWriter{}), held: map[int]Result{}}
	err1 := r.Write(Result{Seq: 0, Line: 2})
	err2 := r.Write(Result{Seq: 1, Line: 3})
	if err1 == nil || err2 == nil || !strings.Contains(err2.Error(), "no space left") {
		t.Errorf("Write() on a full disk = %v, %v; want both to fail with the cause", err1, err2)
	}
}

func TestResumedReportKeepsNewestResultPerLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	r, err := CreateReport(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	first := map[int]Outcome{2: Updated, 3: Failed, 4: Pending, 5: Updated}
	for _, line := range []int{3, 2, 5, 4} {
		r.Write(
			Result{Seq: line - 2, Line: line, User: fmt.Sprint("u", line), Action: zoom.Deactivate,
				Outcome: first[line], FinishedAt: at},
		)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a write leaves a torn last line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("6,u6,deactivate,upd")
	f.Close()

	j, err := ReadJournal(path)
	if err != nil {
		t.Fatalf("ReadJournal() = %v; want the torn line ignored", err)
	}
	r, err = ResumeReport(j)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []int{6, 4, 3} {
		r.Write(
			Result{Seq: line - 2, Line: line, User: fmt.Sprint("u", line), Action: zoom.Deactivate,
				Outcome: Updated, Attempts: 1, FinishedAt: at},
		)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rec := range readReport(t, path)[1:] {
		got = append(got, rec[0]+" "+rec[3]+" "+rec[7])
	}
	want := "2 updated ,3 updated 1,4 updated 1,5 updated ,6 updated 1"
	if strings.Join(got, ",") != want {
		t.Errorf("report after resume = %q; want %q", strings.Join(got, ","), want)
	}
}

func TestReportCellsAreInert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	r, err := CreateReport(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	r.Write(
		Result{
			Line:       2,
			User:       "=HYPERLINK(\"x\")",
			Outcome:    Invalid,
			Message:    "@SUM(A1)",
			FinishedAt: at,
		},
	)
	r.Write(
		Result{Seq: 1, Line: 3, User: "+jo@example.com", Action: zoom.Deactivate, Outcome: Failed,
			Attempts: 1, Message: "-1", FinishedAt: at},
	)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rows := readReport(t, path)[1:]
	if rows[0][1] != `'=HYPERLINK("x")` || rows[0][6] != "'@SUM(A1)" ||
		rows[1][1] != "'+jo@example.com" {
		t.Errorf("report cells = %q; want formulas made inert with an apostrophe", rows)
	}
	// A resume still recognises the rows by their users.
	j, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	rows2 := []Row{
		{Line: 2, User: "=HYPERLINK(\"x\")", Outcome: Invalid},
		{Line: 3, User: "+jo@example.com", Action: zoom.Deactivate},
		{Line: 4, User: "a\x1b[2Jb@example.com", Outcome: Invalid},
	}
	if err := j.Verify(func(yield func(Row, error) bool) {
		for _, r := range rows2 {
			if !yield(r, nil) {
				return
			}
		}
	}); err != nil {
		t.Errorf("Verify() = %v; want the escaped user to match its row", err)
	}
}

func TestReportIsLockedWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	r, err := CreateReport(path)
	if err != nil {
		t.Fatal(err)
	}
	// A second run, such as an overlapping cron job, must not resume it.
	if _, err := ReadJournal(path); !errors.Is(err, ErrReportInUse) {
		t.Fatalf("ReadJournal() while a run writes the report = %v; want ErrReportInUse", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := ReadJournal(path)
	if err != nil {
		t.Fatalf("ReadJournal() after the run = %v; want the report", err)
	}
	if _, err := ReadJournal(path); !errors.Is(err, ErrReportInUse) {
		t.Errorf("ReadJournal() while another resume holds it = %v; want ErrReportInUse", err)
	}
	r, err = ResumeReport(j)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if j2, err := ReadJournal(path); err != nil {
		t.Errorf("ReadJournal() once the resume closed = %v; want the report", err)
	} else {
		j2.Close()
	}
}
