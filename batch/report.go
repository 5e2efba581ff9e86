package batch

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/offboard/offboard/zoom"
)

// ErrReportInUse means another run, in another process, is writing the
// report: two runs of one report at once would send every change twice.
var ErrReportInUse = errors.New("another offboard run is using this report")

// ReportHeader is the report's header row: its columns, in order.
var ReportHeader = []string{
	"line", "user", "action", "outcome", "http_status", "zoom_code",
	"message", "attempts", "tracking_id", "finished_at",
}

// Result is how one row ended: one line of the report.
type Result struct {
	Seq        int // the row's index among the data rows, from 0; not in the report
	Line       int // physical line where the row starts in the input
	User       string
	Action     zoom.Action
	Outcome    Outcome
	HTTPStatus int // 0 when no request was answered
	ZoomCode   int // 0 when Zoom gave no code
	Message    string
	Attempts   int // requests sent for the row
	TrackingID string
	FinishedAt time.Time
}

// record returns the report line for r. Zero numbers are empty cells: the
// report never uses 0 for "none".
func (r Result) record() []string {
	finished := ""
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	return []string{
		strconv.Itoa(r.Line), cell(r.User), string(r.Action), string(r.Outcome),
		itoaOrEmpty(r.HTTPStatus), itoaOrEmpty(r.ZoomCode), cell(r.Message),
		itoaOrEmpty(r.Attempts), r.TrackingID, finished,
	}
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula.
const formulaStarts = "=+-@\t\r"

// cell returns s as the report writes it: with white-space controls made
// spaces and other control characters, such as a terminal's escape, made
// U+FFFD; and with a leading apostrophe when a spreadsheet would take it for
// a formula, so that a report opened in Excel runs nothing it holds.
func cell(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			switch {
			case r == '\t' || r == '\n' || r == '\r':
				return ' '
			case unicode.IsControl(r):
				return '\uFFFD'
			}
			return r
		}, s)
	}
	return inert(s)
}

// inert returns s with a leading apostrophe when a spreadsheet would take it
// for a formula.
func inert(s string) string {
	if s != "" && strings.ContainsRune(formulaStarts, rune(s[0])) {
		return "'" + s
	}
	return s
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// syncInterval is how often a report file is flushed to disk while rows are
// being written, so that a crash loses at most the rows of the last interval.
const syncInterval = time.Second

// Report writes results as rows finish. A report on a file is the run's
// journal: each result is written as soon as it is known and the file is
// synced every second, so a crash loses at most the last second's rows. Close
// then rewrites the file in input order. A report on a stream that cannot be
// rewritten holds results back instead, until the rows before them are done.
//
// Its methods are safe for concurrent use.
type Report struct {
	mu      sync.Mutex
	w       *csv.Writer
	file    *os.File // nil for a stream
	dirty   bool     // written since the last sync
	err     error    // the first write error; every later write fails with it
	next    int      // stream: the Seq of the next result to write
	held    map[int]Result
	last    int  // file: the line of the last record written
	sorted  bool // file: the records are in input order, one per line
	stop    chan struct{}
	stopped chan struct{}
}

// span is where the record of an input line lies in a report file. A
// rewrite sorts these, not the records, so that it needs little memory.
type span struct {
	line int
	off  int64
	n    int64
}

// CreateReport creates a new report file at path, readable and writable by
// its owner only: the report holds email addresses. It refuses to overwrite
// an existing file.
func CreateReport(path string) (*Report, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("create report: %w", err)
	}
	r := newFileReport(f)
	err = r.writeHeader()
	if err == nil {
		err = durable(f)
	}
	if err != nil {
		r.Close()
		os.Remove(path)
		return nil, err
	}
	return r, nil
}

// durable syncs a new report file and, as far as the system allows, its
// directory, so that a crash in the first second leaves a report to resume
// from rather than no file or an empty one.
func durable(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync report: %w", err)
	}
	if d, err := os.Open(filepath.Dir(f.Name())); err == nil {
		_ = d.Sync() // some file systems cannot sync a directory; the file is synced
		d.Close()
	}
	return nil
}

// ResumeReport reopens the report that j was read from, to append the
// results of a resumed run. A torn last line is cut off first. Close then
// rewrites the report with one line per input row, the newest result of each.
func ResumeReport(j *Journal) (*Report, error) {
	f := j.file
	if f == nil {
		return nil, errors.New("reopen report: the journal is closed")
	}
	j.file = nil
	if err := cutTornTail(f, j.size); err != nil {
		f.Close()
		return nil, err
	}
	r := newFileReport(f)
	r.sorted = false
	if !j.header {
		// A crash tore the header: the report holds nothing else.
		if err := r.writeHeader(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// cutTornTail truncates f to size, the end of its last whole record, and
// leaves f's offset there. A record that lost only its line end to a crash
// gets it back, so that the next record does not run into it.
func cutTornTail(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("cut the torn end of the report: %w", err)
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		return fmt.Errorf("reopen report: %w", err)
	}
	if size == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return fmt.Errorf("reopen report: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("end the last line of the report: %w", err)
	}
	return nil
}

// newFileReport returns a report appending to f.
func newFileReport(f *os.File) *Report {
	r := &Report{w: csv.NewWriter(f), file: f, sorted: true,
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go r.syncEvery(syncInterval)
	return r
}

// NewStreamReport returns a report written to w in input order.
func NewStreamReport(w io.Writer) (*Report, error) {
	r := &Report{w: csv.NewWriter(w), held: make(map[int]Result)}
	return r, r.writeRecord(ReportHeader)
}

// Write records a result. An error means the report can no longer be
// written: the run must stop, since calls without a record must not happen.
func (r *Report) Write(res Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	if r.file != nil {
		if res.Line <= r.last {
			r.sorted = false
		}
		r.last = res.Line
		return r.writeRecord(res.record())
	}
	r.held[res.Seq] = res
	for {
		next, ok := r.held[r.next]
		if !ok {
			return nil
		}
		delete(r.held, r.next)
		r.next++
		if err := r.writeRecord(next.record()); err != nil {
			return err
		}
	}
}

// writeHeader writes the header line. The syncing goroutine already shares r.
func (r *Report) writeHeader() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeRecord(ReportHeader)
}

// writeRecord writes and flushes one line. r.mu must be held or r unshared.
func (r *Report) writeRecord(rec []string) error {
	r.w.Write(rec)
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		r.err = fmt.Errorf("write report: %w", err)
		return r.err
	}
	r.dirty = true
	return nil
}

func (r *Report) syncEvery(d time.Duration) {
	defer close(r.stopped)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			if r.dirty && r.err == nil {
				if err := r.file.Sync(); err != nil {
					r.err = fmt.Errorf("sync report: %w", err)
				}
				r.dirty = false
			}
			r.mu.Unlock()
		}
	}
}

// Close finishes the report. A report file whose rows finished out of order,
// or that holds several results of a row, is rewritten in input order with
// the newest result of each row, through a temporary file renamed over it,
// so that a crash during the rewrite leaves the journal whole. A second
// Close returns an error.
func (r *Report) Close() error {
	if r.file == nil {
		return r.err
	}
	select {
	case <-r.stopped:
		return errors.New("report already closed")
	default:
	}
	close(r.stop)
	<-r.stopped
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.err
	if serr := r.file.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("sync report: %w", serr)
	}
	if err == nil && !r.sorted {
		err = r.rewrite()
	}
	if cerr := r.file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close report: %w", cerr)
	}
	return err
}

// rewrite copies the newest record of each line, in input order, to a new
// file that replaces the report.
func (r *Report) rewrite() error {
	path := r.file.Name()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".offboard-report-*")
	if err != nil {
		return fmt.Errorf("rewrite report in order: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = r.copyInOrder(tmp)
	err = errors.Join(err, tmp.Sync(), tmp.Close())
	if err != nil {
		return fmt.Errorf("rewrite report in order: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

func (r *Report) copyInOrder(dst io.Writer) error {
	headerEnd, spans, err := scanSpans(r.file)
	if err != nil {
		return err
	}
	// A stable sort keeps the records of a line in the order written: the
	// last of each run is the newest.
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.line, b.line) })
	w := bufio.NewWriterSize(dst, 64<<10)
	if _, err := io.Copy(w, io.NewSectionReader(r.file, 0, headerEnd)); err != nil {
		return err
	}
	for i, s := range spans {
		if i+1 < len(spans) && spans[i+1].line == s.line {
			continue // superseded by a newer record of the same line
		}
		if _, err := io.Copy(w, io.NewSectionReader(r.file, s.off, s.n)); err != nil {
			return err
		}
	}
	return w.Flush()
}

// scanSpans finds where the header ends and where each record lies in a
// report file.
func scanSpans(f io.ReaderAt) (headerEnd int64, spans []span, err error) {
	cr := csv.NewReader(bufio.NewReader(io.NewSectionReader(f, 0, 1<<62)))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return 0, nil, fmt.Errorf("read report header: %w", err)
	}
	headerEnd = cr.InputOffset()
	for {
		start := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return headerEnd, spans, nil
		}
		if err != nil {
			return 0, nil, fmt.Errorf("read report: %w", err)
		}
		line, err := strconv.Atoi(rec[0])
		if err != nil {
			return 0, nil, fmt.Errorf("read report: line number %q", rec[0])
		}
		spans = append(spans, span{line: line, off: start, n: cr.InputOffset() - start})
	}
}
