package batch

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/offboard/offboard/zoom"
)

// Journal is what an earlier run's report recorded: the newest result of
// each input line. A run resumed from it sends nothing again for rows it
// records as done, and checks each user it does not record before changing
// them, since such a row may have been changed just before a crash.
type Journal struct {
	path   string
	file   *os.File // the report, open and locked; nil once closed or taken over
	size   int64    // length of the header and the whole records; a torn tail follows
	header bool     // the file holds the whole header; false for an empty or torn one
	seed   maphash.Seed
	rows   map[int]entry
}

// entry is a journal's record of one line. It keeps a hash of the user and
// action, not the strings, to stay small for large files.
type entry struct {
	sum     uint64
	outcome Outcome
	unsure  bool // a request may have been sent and have taken effect
	kept    bool // skipped as protected: the run must never change the user
}

// The beginnings of the messages of pending rows that a run did not send.
// A row that no run may have sent begins with notSent; one that an earlier
// run may have changed begins with notChecked, so that the next resume
// still checks its user first.
const (
	notSent    = "not sent: "
	notChecked = "not checked: "
)

// MismatchError means the input is not the file the journal was written for.
type MismatchError struct {
	Line int
	Got  string // what the input has at the line; empty when it has no row there
}

func (e *MismatchError) Error() string {
	if e.Got == "" {
		return fmt.Sprintf("line %d: the report records a row there, but the file has none: "+
			"it is not the file the report was written for", e.Line)
	}
	return fmt.Sprintf("line %d: the file has %s, but the report records another user or action "+
		"there: it is not the file the report was written for", e.Line, e.Got)
}

// ReadJournal reads the report at path. A torn last line, left by a crash
// in the middle of a write, is ignored; damage anywhere else is an error.
func ReadJournal(path string) (*Journal, error) {
	// A pipe or a device would block the open or never end: refuse them.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read report to resume: %s is not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("read report to resume: %w", err)
	}
	// The lock is held from before the report is read until the resumed run
	// closes it, so that two runs never write one report.
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("read report %s to resume: %w", path, err)
	}
	j := &Journal{path: path, file: f, seed: maphash.MakeSeed(), rows: make(map[int]entry)}
	if err := j.read(bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))); err != nil {
		f.Close()
		return nil, fmt.Errorf("read report %s to resume: %w", path, err)
	}
	return j, nil
}

// Close releases the report, unless ResumeReport has taken it over.
func (j *Journal) Close() error {
	if j.file == nil {
		return nil
	}
	f := j.file
	j.file = nil
	return f.Close()
}

func (j *Journal) read(r *bufio.Reader) error {
	if torn, err := tornHeader(r); torn || err != nil {
		return err // a crash before the header was whole: nothing is recorded
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil || !slices.Equal(header, ReportHeader) {
		return errors.New("it is not an offboard report: the header differs")
	}
	j.header, j.size = true, cr.InputOffset()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		e, lineNo, perr := j.parse(rec, err)
		if perr != nil {
			if atEnd(cr) {
				return nil // a torn last record
			}
			return fmt.Errorf("report line %d: %w", line, perr)
		}
		j.rows[lineNo] = e // a later record of a line supersedes an earlier one
		j.size = cr.InputOffset()
	}
}

// tornHeader reports whether r holds no more than the beginning of the
// report's header line, as a crash right after the report was created
// leaves it: an empty file, or part of the header without its line end.
func tornHeader(r *bufio.Reader) (bool, error) {
	want := strings.Join(ReportHeader, ",")
	got, err := r.Peek(len(want) + 1)
	if err != nil && err != io.EOF {
		return false, err
	}
	return err == io.EOF && len(got) <= len(want) && strings.HasPrefix(want, string(got)), nil
}

// atEnd reports whether nothing follows the record cr read last. A record
// that cannot be read is a torn tail only when it is the last: damage
// followed by anything is an error, never a reason to drop what follows.
func atEnd(cr *csv.Reader) bool {
	_, err := cr.Read()
	return err == io.EOF
}

func (j *Journal) parse(rec []string, err error) (entry, int, error) {
	if err != nil {
		return entry{}, 0, err
	}
	if len(rec) != len(ReportHeader) {
		return entry{}, 0, fmt.Errorf("%d fields; want %d", len(rec), len(ReportHeader))
	}
	line, err := strconv.Atoi(rec[0])
	if err != nil || line < 1 {
		return entry{}, 0, fmt.Errorf("line number %q", rec[0])
	}
	o := Outcome(rec[3])
	if _, err := time.Parse(time.RFC3339, rec[9]); !o.valid() || err != nil {
		return entry{}, 0, fmt.Errorf("incomplete record for input line %d", line)
	}
	attempts, _ := strconv.Atoi(rec[7])
	// The sums are of the users as the report writes them; Verify sums the
	// input's users the same way.
	msg := rec[6]
	e := entry{sum: j.sum(rec[1], zoom.Action(rec[2])), outcome: o,
		unsure: unsure(o, attempts, msg), kept: o == Skipped && strings.HasPrefix(msg, protectedMsg)}
	return e, line, nil
}

// unsure reports whether a row recorded with outcome o, after attempts
// requests and with message msg, may have been changed without the record
// saying so: a failed or pending row for which a request was sent, since its
// last answer may have been lost after the change took effect, and a pending
// row that is not marked as never sent.
func unsure(o Outcome, attempts int, msg string) bool {
	switch o {
	case Failed:
		return attempts > 0
	case Pending:
		return attempts > 0 || !strings.HasPrefix(msg, notSent)
	}
	return false
}

func (j *Journal) sum(user string, a zoom.Action) uint64 {
	var h maphash.Hash
	h.SetSeed(j.seed)
	h.WriteString(user)
	h.WriteByte(0)
	h.WriteString(string(a))
	return h.Sum64()
}

// Done returns the outcome the journal records for row when that outcome is
// final, and "" otherwise. Updated and unchanged rows are final, and so are
// rows skipped as protected: a user protected once in a run stays so when
// the run is resumed, even if the resume forgets --protect.
func (j *Journal) Done(row Row) Outcome {
	e := j.rows[row.Line]
	if e.outcome == Updated || e.outcome == Unchanged || e.kept {
		return e.outcome
	}
	return ""
}

// Verify checks that rows are the rows the journal was written for: every
// line it records holds the same user and action, and is a row of the
// input. It returns a *MismatchError for the first line that differs.
func (j *Journal) Verify(rows iter.Seq2[Row, error]) error {
	seen := make(map[int]bool, len(j.rows))
	for row, err := range rows {
		if err != nil {
			return err
		}
		e, ok := j.rows[row.Line]
		if ok && e.sum != j.sum(cell(row.User), row.Action) {
			return &MismatchError{Line: row.Line, Got: fmt.Sprintf("%s %s", row.Action, row.User)}
		}
		if ok {
			seen[row.Line] = true
		}
	}
	for _, line := range slices.Sorted(maps.Keys(j.rows)) {
		if !seen[line] {
			return &MismatchError{Line: line}
		}
	}
	return nil
}

// Uncertain reports whether row may have been changed without the journal
// knowing it: the journal does not record the row, or records it failed or
// pending after a request was sent, or pending without saying that no run
// sent it. Such a row's user is checked before any change.
func (j *Journal) Uncertain(row Row) bool {
	e, ok := j.rows[row.Line]
	return !ok || e.unsure
}

func (o Outcome) valid() bool { return slices.Contains(Outcomes, o) }
