package batch

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/offboard/offboard/zoom"
)

// colLayout says which fields of a record hold what.
type colLayout struct {
	header    []string // the header cells, cleaned; nil when the file has none
	identity  int
	action    int // -1 when there is no action column
	effective int // -1 when there is no effective-date column
}

// identityNames are the normalised headers of an identity column, best first.
// When several columns match, the best group wins: "Email" over "User ID"
// over "User" over "ID", because an "ID" beside an email is more often an
// employee number than a Zoom user ID.
var identityNames = [][]string{
	{"email", "emailaddress"},
	{"zoomuserid", "userid"},
	{"user"},
	{"id"},
}

// actionName is the normalised header of the action column.
const actionName = "action"

// normHeader returns h in lower case without spaces, dashes or underscores,
// so that "E-mail Address" and "email_address" compare equal.
func normHeader(h string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '_' {
			return -1
		}
		return unicode.ToLower(r)
	}, h)
}

// knownHeader reports whether the cleaned cell c is a header that offboard
// recognises without being told.
func knownHeader(c string) bool {
	n := normHeader(c)
	for _, group := range identityNames {
		for _, name := range group {
			if n == name {
				return true
			}
		}
	}
	return n == actionName
}

// recognisable reports whether the cleaned cell c is, on its own, either a
// known header or a plausible user.
func recognisable(c string) bool {
	return knownHeader(c) || strings.Contains(c, "@") || isZoomID(c)
}

// hasHeader reports whether first, the first record of a file, is a header.
// It is, unless opt names no column and first reads as a row of a plain
// list (see isListRow).
func hasHeader(first []string, opt *ReadOptions) bool {
	if opt.Column != "" || opt.EffectiveColumn != "" {
		return true
	}
	for _, c := range first {
		if knownHeader(cleanCell(c)) {
			return true
		}
	}
	return !isListRow(first)
}

// isListRow reports whether rec reads as a row of a list without a header:
// a valid email address or a Zoom user ID of the usual 22 characters,
// optionally followed by an action, and nothing else. The test is strict
// because a header taken for a user would be sent to Zoom.
func isListRow(rec []string) bool {
	user := cleanCell(rec[0])
	isUser := strings.Contains(user, "@") && identityProblem(user) == "" ||
		len(user) == 22 && isZoomID(user)
	if !isUser {
		return false
	}
	for i, c := range rec[1:] {
		c = cleanCell(c)
		if _, err := zoom.ParseAction(strings.ToLower(c)); c != "" && (i > 0 || err != nil) {
			return false
		}
	}
	return true
}

// listLayout is the layout of a file without a header: users in the first
// column and, optionally, actions in the second.
var listLayout = colLayout{identity: 0, action: 1, effective: -1}

// headerLayout finds the columns that opt asks for, or that offboard knows,
// in header.
func headerLayout(header []string, opt *ReadOptions) (colLayout, error) {
	lay := colLayout{header: header, action: -1, effective: -1}
	var err error
	if opt.Column != "" {
		lay.identity, err = findNamed(header, opt.Column)
	} else {
		lay.identity, err = findIdentity(header)
	}
	if err != nil {
		return lay, err
	}
	if lay.action, err = findOptional(header, actionName); err != nil {
		return lay, err
	}
	if opt.EffectiveColumn != "" {
		lay.effective, err = findNamed(header, opt.EffectiveColumn)
	}
	return lay, err
}

// findIdentity returns the index of the identity column in header, found by
// its name (see identityNames) or else as the only header that holds "email".
func findIdentity(header []string) (int, error) {
	for _, group := range identityNames {
		found := findAll(header, func(n string) bool {
			for _, name := range group {
				if n == name {
					return true
				}
			}
			return false
		})
		if len(found) > 0 {
			return oneOf(header, found)
		}
	}
	found := findAll(header, func(n string) bool { return strings.Contains(n, "email") })
	if len(found) == 0 {
		return 0, fmt.Errorf("%w: no header is Email, User ID or the like (found %s): "+
			"name the column with --column", ErrNoIdentity, quoteList(header))
	}
	return oneOf(header, found)
}

// oneOf returns the only index in found, or an error naming them all.
func oneOf(header []string, found []int) (int, error) {
	if len(found) == 1 {
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = header[f]
	}
	return 0, fmt.Errorf("%w: %s: choose one with --column",
		ErrAmbiguousIdentity, quoteList(names))
}

// findNamed returns the index of the column named name, compared first as
// written and then as normHeader makes it.
func findNamed(header []string, name string) (int, error) {
	name = cleanCell(name)
	found := findAll(header, nil)
	exact := found[:0]
	for _, i := range found {
		if header[i] == name {
			exact = append(exact, i)
		}
	}
	if len(exact) == 0 {
		norm := normHeader(name)
		exact = findAll(header, func(n string) bool { return n == norm })
	}
	if len(exact) == 0 {
		return 0, fmt.Errorf("%w: %q is not among the headers %s",
			ErrNoColumn, name, quoteList(header))
	}
	return single(header, exact)
}

// findOptional returns the index of the column whose normalised header is
// norm, or -1 when there is none.
func findOptional(header []string, norm string) (int, error) {
	found := findAll(header, func(n string) bool { return n == norm })
	if len(found) == 0 {
		return -1, nil
	}
	return single(header, found)
}

// single returns the only index in found, or an error saying that the
// column appears more than once.
func single(header []string, found []int) (int, error) {
	if len(found) == 1 {
		return found[0], nil
	}
	cols := make([]string, len(found))
	for i, f := range found {
		cols[i] = strconv.Itoa(f + 1)
	}
	return 0, fmt.Errorf("%w: %q is the header of columns %s",
		ErrDuplicateColumn, header[found[0]], strings.Join(cols, ", "))
}

// findAll returns the indexes of the non-empty headers whose normalised form
// satisfies match, or of all non-empty headers when match is nil.
func findAll(header []string, match func(norm string) bool) []int {
	var found []int
	for i, h := range header {
		if h != "" && (match == nil || match(normHeader(h))) {
			found = append(found, i)
		}
	}
	return found
}
