package batch

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/offboard/offboard/zoom"
)

// Journal is what an earlier run's report recorded: the newest result of
// each input line. A run resumed from it sends nothing again for rows it
// records as done, and checks each user it does not record before changing
// them, since such a row may have been changed just before a crash.
type Journal struct {
	path string
	size int64 // length of the whole records; a torn tail follows
	seed maphash.Seed
	rows map[int]entry
}

// entry is a journal's record of one line. It keeps a hash of the user and
// action, not the strings, to stay small for large files.
type entry struct {
	sum     uint64
	outcome Outcome
	sent    bool // a request was sent for the row
}

// MismatchError means the input is not the file the journal was written for.
type MismatchError struct {
	Line int
	Got  string // what the input has at the line
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("line %d: the file has %s, but the report records another user or action "+
		"there: it is not the file the report was written for", e.Line, e.Got)
}

// ReadJournal reads the report at path. A torn last line, left by a crash
// in the middle of a write, is ignored; damage anywhere else is an error.
func ReadJournal(path string) (*Journal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read report to resume: %w", err)
	}
	defer f.Close()
	j := &Journal{path: path, seed: maphash.MakeSeed(), rows: make(map[int]entry)}
	if err := j.read(bufio.NewReader(f)); err != nil {
		return nil, fmt.Errorf("read report %s to resume: %w", path, err)
	}
	return j, nil
}

func (j *Journal) read(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil || !slices.Equal(header, ReportHeader) {
		return errors.New("it is not an offboard report: the header differs")
	}
	j.size = cr.InputOffset()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		e, lineNo, perr := j.parse(rec, err)
		if perr != nil {
			if j.atEnd(cr) {
				return nil // a torn last record
			}
			return fmt.Errorf("report line %d: %w", line, perr)
		}
		j.rows[lineNo] = e // a later record of a line supersedes an earlier one
		j.size = cr.InputOffset()
	}
}

// atEnd reports whether nothing but the current record follows in cr.
func (j *Journal) atEnd(cr *csv.Reader) bool {
	_, err := cr.Read()
	return err == io.EOF || err != nil && !errors.Is(err, csv.ErrFieldCount)
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
	return entry{sum: j.sum(rec[1], zoom.Action(rec[2])), outcome: o, sent: attempts > 0}, line, nil
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
// final, updated or unchanged, and "" otherwise.
func (j *Journal) Done(row Row) Outcome {
	e := j.rows[row.Line]
	if e.outcome == Updated || e.outcome == Unchanged {
		return e.outcome
	}
	return ""
}

// Verify checks that rows are the rows the journal was written for: every
// line it records holds the same user and action. It returns a
// *MismatchError for the first line that differs.
func (j *Journal) Verify(rows iter.Seq2[Row, error]) error {
	for row, err := range rows {
		if err != nil {
			return err
		}
		e, ok := j.rows[row.Line]
		if ok && e.sum != j.sum(row.User, row.Action) {
			return &MismatchError{Line: row.Line, Got: fmt.Sprintf("%s %s", row.Action, row.User)}
		}
	}
	return nil
}

// Uncertain reports whether row may have been changed without the journal
// knowing it: the journal does not record the row, or records it pending
// after a request was sent.
func (j *Journal) Uncertain(row Row) bool {
	e, ok := j.rows[row.Line]
	return !ok || e.outcome == Pending && e.sent
}

func (o Outcome) valid() bool {
	switch o {
	case Updated, Unchanged, Failed, Invalid, Skipped, Planned, Pending:
		return true
	}
	return false
}
