package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// maxRecordBytes bounds the text that one record may span. encoding/csv keeps
// a whole record in memory, and a quote that is never closed would make the
// rest of the file one record.
const maxRecordBytes = 1 << 20

// errRecordTooLong is what posCounter returns when a record grows past
// maxRecordBytes.
var errRecordTooLong = errors.New("record too long")

// posCounter passes decoded text through to encoding/csv and keeps count of
// where it is, so that a decoding error can name its line and column.
type posCounter struct {
	r      io.Reader
	line   int   // the line being read, from 1
	col    int   // bytes of that line already passed
	offset int64 // bytes passed
	mark   int64 // offset where the record being parsed starts
}

func (c *posCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	chunk := p[:n]
	if nl := bytes.Count(chunk, []byte{'\n'}); nl > 0 {
		c.line += nl
		c.col = n - 1 - bytes.LastIndexByte(chunk, '\n')
	} else {
		c.col += n
	}
	c.offset += int64(n)
	if c.offset-c.mark > maxRecordBytes {
		return n, errRecordTooLong
	}
	return n, err
}

// csvScanner reads the records of one pass over an input.
type csvScanner struct {
	name string
	cr   *csv.Reader
	pos  *posCounter
	hash *maphash.Hash // of the raw bytes read
	last int           // line where the last record returned starts
	// skipLine1 says to skip a record that starts on line 1.
	skipLine1 bool
}

// newCSVScanner returns a scanner of the raw bytes src, which it decodes
// from enc and splits with the delimiter delim.
func newCSVScanner(name string, src io.Reader, enc textEncoding, delim rune,
	seed maphash.Seed) *csvScanner {
	s := &csvScanner{name: name, hash: new(maphash.Hash)}
	s.hash.SetSeed(seed)
	text := transform.NewReader(io.TeeReader(src, s.hash), enc.newDecoder())
	s.pos = &posCounter{r: text, line: 1}
	s.cr = csv.NewReader(s.pos)
	s.cr.Comma = delim
	s.cr.FieldsPerRecord = -1
	s.cr.ReuseRecord = true
	return s
}

// next returns the next record that holds anything but blanks and the line
// where it starts. It returns io.EOF at the end of the text and an
// *InputError when the text cannot be read. The record is valid until the
// next call.
func (s *csvScanner) next() ([]string, int, error) {
	for {
		rec, err := s.cr.Read()
		if err != nil {
			return nil, 0, s.fail(err)
		}
		s.pos.mark = s.cr.InputOffset()
		line, _ := s.cr.FieldPos(0)
		if blankRecord(rec) || s.skipLine1 && line == 1 {
			continue
		}
		s.last = line
		return rec, line, nil
	}
}

// sum returns the hash of the raw bytes read so far.
func (s *csvScanner) sum() uint64 { return s.hash.Sum64() }

// fail turns an error from encoding/csv into the error next returns.
func (s *csvScanner) fail(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	e := &InputError{File: s.name, Line: s.pos.line}
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		e.Line, e.Column = pe.Line, pe.Column
		e.Err = fmt.Errorf("%w: %w%s", ErrSyntax, pe.Err, quoteAdvice(pe))
	case errors.Is(err, encoding.ErrInvalidUTF8):
		e.Column = s.pos.col + 1
		e.Err = fmt.Errorf("%w: if the file comes from Excel on Windows, convert it with "+
			"iconv -f WINDOWS-1252 -t UTF-8, or pass --encoding windows-1252", ErrEncoding)
	case errors.Is(err, errRecordTooLong):
		e.Err = fmt.Errorf("%w: no record ends within %d MiB after line %d: "+
			"is a quote left open?", ErrSyntax, maxRecordBytes>>20, s.last)
	default:
		e.Err = fmt.Errorf("read: %w", err)
	}
	return e
}

// quoteAdvice returns what to tell about a misplaced quote.
func quoteAdvice(pe *csv.ParseError) string {
	switch {
	case pe.StartLine != pe.Line:
		return fmt.Sprintf(" (in the field that starts on line %d: is its quote closed?)",
			pe.StartLine)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return ` (a field holding a quote must be quoted itself, with the quote doubled: "a ""b""")`
	}
	return ` (a quoted field must end with a quote followed by a delimiter or the end of the line)`
}

// blankRecord reports whether every field of rec is blank.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if cleanCell(f) != "" {
			return false
		}
	}
	return true
}
