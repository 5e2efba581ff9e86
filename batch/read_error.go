package batch

import (
	"errors"
	"strconv"
	"strings"
)

// Errors that Open, OpenReader and Rows return, wrapped in an *InputError that
// says where in the file the trouble is. Test for them with errors.Is.
var (
	// ErrEmpty means the file holds no data rows: it is empty, blank, or has
	// only a header.
	ErrEmpty = errors.New("no users")

	// ErrNotCSV means the file is not text at all, such as an Excel workbook,
	// a PDF document or another binary file.
	ErrNotCSV = errors.New("not a CSV file")

	// ErrEncoding means the text is not in the expected encoding: not valid
	// UTF-8, or UTF-16 without a byte order mark.
	ErrEncoding = errors.New("invalid UTF-8")

	// ErrSyntax means the file is text but not well-formed CSV, such as a
	// quote that is never closed.
	ErrSyntax = errors.New("malformed CSV")

	// ErrNoIdentity means no header names a column of users and the file
	// does not look like a plain list of users either.
	ErrNoIdentity = errors.New("no column of users")

	// ErrAmbiguousIdentity means several columns could hold the users and
	// none is preferred over the others.
	ErrAmbiguousIdentity = errors.New("several columns could hold the users")

	// ErrNoColumn means a column named in ReadOptions is not in the header.
	ErrNoColumn = errors.New("no such column")

	// ErrDuplicateColumn means a column that offboard reads appears twice.
	ErrDuplicateColumn = errors.New("column appears twice")

	// ErrChanged means the file changed between the check made by Open and
	// the reading by Rows.
	ErrChanged = errors.New("file changed since it was checked")

	// ErrOption means a ReadOptions field holds a value that is not allowed.
	ErrOption = errors.New("invalid read option")
)

// InputError says what is wrong with an input file and where.
type InputError struct {
	File   string // the file's name as shown to the user
	Line   int    // 1-based line, or 0 when the error is about the whole file
	Column int    // 1-based byte within the line, or 0 when unknown
	Err    error  // the cause, wrapping one of the errors above
}

// Error returns the error as "file:line:column: cause", leaving out the
// parts that are zero.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// displayName returns the name of a file as messages show it.
func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// quoteList returns the non-empty names quoted and joined by commas.
func quoteList(names []string) string {
	var q []string
	for _, n := range names {
		if n != "" {
			q = append(q, strconv.Quote(n))
		}
	}
	if len(q) == 0 {
		return "no named columns"
	}
	return strings.Join(q, ", ")
}
