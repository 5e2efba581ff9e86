package batch

import (
	"bufio"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"os"
	"runtime"
	"time"

	"github.com/offboard/offboard/zoom"
)

// ReadOptions says how to read an input file. The zero value reads a UTF-8
// or UTF-16 file with any of the usual delimiters and deactivates its users.
type ReadOptions struct {
	Name          string      // file name shown in messages ("-" shown as "standard input")
	Column        string      // identity column header chosen by the user; "" = detect
	DefaultAction zoom.Action // for rows without an action column/value; "" means zoom.Deactivate
	Delimiter     rune        // 0 = detect among , ; \t |
	// Encoding is "" or "utf-8" (UTF-8, or UTF-16 by BOM), "utf-16le", "utf-16be",
	// "windows-1252" or "latin1".
	Encoding        string
	EffectiveColumn string    // optional date column: rows dated after Today are Skipped
	OnlyDomains     []string  // when set, emails outside these domains are Invalid
	Today           time.Time // the UTC day for EffectiveColumn; zero = time.Now().UTC()
}

// Row is one data row of the input, judged.
type Row struct {
	Line    int         // physical line where the row starts; the header is line 1
	User    string      // the identity as written, trimmed
	Action  zoom.Action // the requested action; "" when the row has no valid one
	Outcome Outcome     // "" when the row is to be sent; Invalid or Skipped when judged so
	Message string      // why the row is Invalid or Skipped
}

// Column is a column of the input that the reader uses.
type Column struct {
	Name  string // the header cell, cleaned; "" in a file without a header
	Index int    // from 0, or -1 when the file has no such column
}

// Summary is what the check made by Open found. The counts add up to Rows.
type Summary struct {
	Rows         int // data rows: as many as Rows yields
	ToActivate   int // rows to send that activate a user
	ToDeactivate int // rows to send that deactivate a user
	Invalid      int // rows judged Invalid
	Skipped      int // rows judged Skipped

	Encoding  string   // "utf-8", "utf-16le", "utf-16be", "windows-1252" or "latin1"
	BOM       bool     // whether the file starts with a byte order mark
	Delimiter rune     // the field delimiter used
	Header    []string // the header cells, cleaned; nil when the file has no header
	Identity  Column   // the column of users
	Action    Column   // the column of actions
	Effective Column   // the column of effective dates
}

// Input is a file of users, judged as a whole before any row is used.
type Input struct {
	name    string   // as shown in messages
	f       *os.File // read with ReadAt only, so passes may overlap
	temp    string   // a spooled copy to remove on Close, or ""
	closed  bool
	size    int64
	modTime time.Time
	enc     textEncoding
	delim   rune
	sepLine bool // whether line 1 is an Excel "sep=" line, to be skipped
	seed    maphash.Seed
	judge   *rowJudge
	users   *userTally
	sum     Summary
	digest  uint64 // hash of the bytes the first pass read
}

// Open reads and checks the file at path, and returns it ready for Rows. It
// reads the whole file once before it returns, without keeping it in
// memory: a file that cannot be understood fails here, before any row is
// used. Rows that are merely wrong are not errors: they come out of Rows as
// Invalid. A path that is not a regular file, such as a pipe, is copied to a
// temporary file first, as OpenReader does.
//
// # Format
//
// The input is CSV text (RFC 4180, as encoding/csv reads it) in UTF-8, with
// or without a byte order mark, or in UTF-16 with a byte order mark, the way
// Excel saves "Unicode Text". Other encodings are read only when
// ReadOptions.Encoding names them; a file that is not valid UTF-8 fails with
// ErrEncoding at the line and column of the first bad byte. Lines end in LF
// or CRLF. Fields are separated by a comma, semicolon, tab or vertical bar,
// whichever best splits the first records of the file, with quotes taken into
// account; ReadOptions.Delimiter overrides the guess. A first line such as
// "sep=;", which Excel reads as naming the delimiter, is read so too. Fields may be quoted,
// and quoted fields may hold delimiters, doubled quotes and line breaks. A
// misplaced quote fails with ErrSyntax. Blank lines, and records whose fields
// are all blank, are ignored anywhere. Records may have fewer fields than the
// header (the missing ones are empty) or more (the extra ones are ignored).
// Columns that offboard does not use are ignored whatever their names.
// Workbooks, PDF documents and other binary files fail with ErrNotCSV, and
// a file without data rows fails with ErrEmpty.
//
// The first record is the header, unless it reads as a row of a plain list
// of users: a valid email address or a Zoom user ID of 22 characters,
// optionally followed by an action, and nothing else. Then the file is such
// a list, one user a line, optionally with an action in the second field.
// Headers compare without regard to case, spaces, dashes and underscores.
// The column of users is the one that ReadOptions.Column names, or else
// the one headed Email, E-mail or Email Address, or else Zoom User ID or
// User ID, or else User, or else ID; when none of those is present, the
// only header that holds "email" (such as "Work Email"). Several columns
// under the same rule fail with ErrAmbiguousIdentity, and none with
// ErrNoIdentity. The column headed
// Action, if any, holds the actions; ReadOptions.EffectiveColumn, if set,
// names a column of dates.
//
// # Rows
//
// Every value is trimmed of spaces, tabs, no-break spaces and invisible
// formatting characters. A row is Invalid when its user is empty, is "me",
// or is neither a plausible email address nor a Zoom user ID (16 to 32
// letters, digits, dashes and underscores, mixing cases or digits); when
// its action is neither activate nor deactivate in any case (an empty one
// is ReadOptions.DefaultAction); when ReadOptions.OnlyDomains is set and
// the user is an email address outside those domains, or a Zoom user ID,
// whose domain cannot be checked; or when its effective date is not
// YYYY-MM-DD, RFC 3339, or YYYY-MM-DD HH:MM[:SS] (whose time is ignored). A
// row dated after today (an RFC 3339 time by its UTC day) is Skipped; a row
// with an empty date is done now. Among the other rows,
// email addresses compare without regard to case and Zoom user IDs exactly:
// a row that repeats an earlier row's user and action is Skipped as its
// duplicate, and when rows give one user different actions every one of
// them is Invalid, since which one is meant cannot be known. Rows already
// Invalid or Skipped take no part in this. An allowed domain matches only
// itself: subdomains have to be listed too.
//
// Lines in errors and in rows are physical lines of the file, from 1,
// counted across quoted line breaks and blank lines; columns in errors
// count the bytes of the line in UTF-8 from 1, as encoding/csv does.
func Open(path string, opt ReadOptions) (*Input, error) {
	if opt.Name == "" {
		opt.Name = path
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		defer f.Close()
		return OpenReader(f, opt)
	}
	return openFile(f, "", &opt)
}

// OpenReader copies r to a temporary file that only the current user can
// read, removed by Close, and then checks it as Open does. It serves for
// standard input, which cannot be read twice.
func OpenReader(r io.Reader, opt ReadOptions) (*Input, error) {
	if opt.Name == "" {
		opt.Name = "-"
	}
	f, err := os.CreateTemp("", "offboard-input-*.csv")
	if err != nil {
		return nil, fmt.Errorf("copy %s to a temporary file: %w", displayName(opt.Name), err)
	}
	temp := f.Name()
	if err := spool(f, r, &opt); err != nil {
		f.Close()
		os.Remove(temp)
		return nil, err
	}
	// Where an open file can lose its name, lose it now, so that no copy is
	// left behind even if the process dies.
	if runtime.GOOS != "windows" && os.Remove(temp) == nil {
		temp = ""
	}
	return openFile(f, temp, &opt)
}

// maxSpool bounds the copy OpenReader makes: far more than any list of users,
// and far less than what a mistaken pipe from /dev/zero would fill a disk with.
const maxSpool = 2 << 30

// spool copies r to f. It looks at the start first, so that a stream that is
// no CSV text is refused before it is copied, and stops at maxSpool.
func spool(f *os.File, r io.Reader, opt *ReadOptions) error {
	name := displayName(opt.Name)
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return &InputError{File: name, Err: fmt.Errorf("read: %w", err)}
	}
	if enc, err := lookupEncoding(opt.Encoding); err == nil {
		enc, _ = enc.withBOM(head)
		if err := sniffNotCSV(head, enc); err != nil {
			return &InputError{File: name, Err: err}
		}
	}
	n, err := io.Copy(f, io.LimitReader(br, maxSpool+1))
	switch {
	case err != nil:
		return &InputError{File: name, Err: fmt.Errorf("read: %w", err)}
	case n > maxSpool:
		return &InputError{
			File: name,
			Err: fmt.Errorf("%w: more than %d GiB: split it into smaller files",
				ErrNotCSV, maxSpool>>30),
		}
	}
	return nil
}

// openFile checks f and returns it as an Input, or closes it.
func openFile(f *os.File, temp string, opt *ReadOptions) (*Input, error) {
	in := &Input{name: displayName(opt.Name), f: f, temp: temp, seed: maphash.MakeSeed()}
	if err := in.check(opt); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// Summary returns what the check made by Open found.
func (in *Input) Summary() Summary {
	s := in.sum
	s.Header = append([]string(nil), s.Header...)
	return s
}

// Close closes the file and removes the temporary copy that OpenReader
// made.
func (in *Input) Close() error {
	if in.closed {
		return nil
	}
	in.closed = true
	err := in.f.Close()
	if in.temp != "" {
		if rerr := os.Remove(in.temp); err == nil {
			err = rerr
		}
	}
	return err
}

// Rows returns the data rows of the input, read again from the file, in file
// order. Each row is judged as the check by Open judged it, now with regard
// to the other rows. When the file cannot be read, or turns out to differ
// from what Open checked (ErrChanged), Rows yields an error and stops. Rows
// may be called more than once, even at the same time, until Close.
func (in *Input) Rows() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if err := in.unchanged(); err != nil {
			yield(Row{}, err)
			return
		}
		s := in.scan()
		if in.judge.header != nil {
			if _, _, err := s.next(); err != nil {
				yield(Row{}, in.changed(noEOF(err)))
				return
			}
		}
		n := 0
		for row, err := range in.judged(s) {
			if err != nil {
				yield(Row{}, err)
				return
			}
			n++
			if !yield(row, nil) {
				return
			}
		}
		if n != in.sum.Rows || s.sum() != in.digest {
			yield(Row{}, in.changed(nil))
		}
	}
}

// judged yields the rows that s reads, judged as a whole.
func (in *Input) judged(s *csvScanner) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for {
			rec, line, err := s.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Row{}, in.changed(err))
				return
			}
			row := in.judge.judge(rec, line)
			if row.Outcome == "" && in.users.verdict(&row) != nil {
				yield(Row{}, &InputError{File: in.name, Line: line,
					Err: fmt.Errorf("%w: this row was not there before", ErrChanged)})
				return
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// unchanged returns an error when the file's size or modification time is
// not what it was when Open checked it.
func (in *Input) unchanged() error {
	fi, err := in.f.Stat()
	if err != nil {
		return &InputError{File: in.name, Err: fmt.Errorf("read again: %w", err)}
	}
	if fi.Size() != in.size || !fi.ModTime().Equal(in.modTime) {
		return in.changed(nil)
	}
	return nil
}

// changed returns err, from the second pass, marked as ErrChanged when it
// shows that the file differs from what the first pass read. A nil err
// stands for a difference found otherwise.
func (in *Input) changed(err error) error {
	var ie *InputError
	switch {
	case err == nil:
		return &InputError{File: in.name, Err: fmt.Errorf("%w: check it again", ErrChanged)}
	case !errors.As(err, &ie), errors.Is(err, ErrChanged):
		return err
	case errors.Is(err, ErrSyntax), errors.Is(err, ErrEncoding), errors.Is(err, ErrEmpty):
		ie.Err = fmt.Errorf("%w: %w", ErrChanged, ie.Err)
	}
	return ie
}

// noEOF returns err, or nil for io.EOF.
func noEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// scan returns a scanner for one pass over the file.
func (in *Input) scan() *csvScanner {
	src := io.NewSectionReader(in.f, 0, in.size)
	s := newCSVScanner(in.name, src, in.enc, in.delim, in.seed)
	s.skipLine1 = in.sepLine
	return s
}
