package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/offboard/offboard/zoom"
)

// ErrProtectFile is wrapped by the errors ReadProtected returns about the
// content of a protect file.
var ErrProtectFile = errors.New("invalid protect file")

// Protected is a set of users a run must never change, by email address
// (compared without regard to case) and by Zoom user ID (compared exactly).
type Protected struct {
	name   string
	emails map[string]bool // in lower case
	ids    map[string]bool
}

// ReadProtected reads the users of the file at path, read as Open reads an
// input: a plain list of users, one a line, or a CSV file whose identity
// column Open finds. Its other columns, an action column included, are
// ignored. A row that does not name a user is an error: a list meant to
// keep people safe must be understood whole.
func ReadProtected(path string) (*Protected, error) {
	in, err := Open(path, ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("read protect file: %w", err)
	}
	defer in.Close()
	p := &Protected{name: path, emails: make(map[string]bool), ids: make(map[string]bool)}
	for row, err := range in.Rows() {
		if err != nil {
			return nil, fmt.Errorf("read protect file: %w", err)
		}
		if row.Outcome == Invalid {
			return nil, fmt.Errorf("%w %s, line %d: %s", ErrProtectFile, path, row.Line,
				row.Message)
		}
		p.add(row.User)
	}
	return p, nil
}

// add records user, an address or an ID.
func (p *Protected) add(user string) {
	if strings.Contains(user, "@") {
		p.emails[strings.ToLower(user)] = true
	} else {
		p.ids[user] = true
	}
}

// Len returns how many addresses and IDs the set holds.
func (p *Protected) Len() int { return len(p.emails) + len(p.ids) }

// Has reports whether user, an address or an ID, is protected.
func (p *Protected) Has(user string) bool {
	if strings.Contains(user, "@") {
		return p.emails[strings.ToLower(user)]
	}
	return p.ids[user]
}

// Getter gets one user. *zoom.Client is one.
type Getter interface {
	GetUser(ctx context.Context, userID string) (zoom.User, zoom.Response, error)
}

// Resolve gets the protected users named the other way than the input
// names its users, so that either form matches: with emails set, the
// address of every protected ID; with ids set, the ID of every protected
// address. It returns the gets made. A user that does not exist is left as
// it is; any other failure is an error, since a guard that cannot be
// checked must not be trusted.
func (p *Protected) Resolve(ctx context.Context, g Getter, emails, ids bool) (int, error) {
	var todo []string
	if emails {
		todo = append(todo, slices.Sorted(maps.Keys(p.ids))...)
	}
	if ids {
		todo = append(todo, slices.Sorted(maps.Keys(p.emails))...)
	}
	for _, user := range todo {
		u, _, err := g.GetUser(ctx, user)
		switch {
		case zoom.IsNotFound(err):
			continue
		case err != nil:
			return len(todo), fmt.Errorf("look up protected user %s: %w", user, err)
		}
		p.add(u.Email)
		if u.ID != "" {
			p.add(u.ID)
		}
	}
	return len(todo), nil
}

// protectedMsg begins the message of a row skipped as protected.
const protectedMsg = "protected: "

// Guard returns rows with every row to send that names a protected user
// made Skipped. Rows already judged keep their outcome.
func (p *Protected) Guard(rows iter.Seq2[Row, error]) iter.Seq2[Row, error] {
	msg := protectedMsg + displayName(p.name) + " lists this user, who is never changed"
	return func(yield func(Row, error) bool) {
		for row, err := range rows {
			if err == nil && row.Outcome == "" && p.Has(row.User) {
				row.Outcome, row.Message = Skipped, msg
			}
			if !yield(row, err) {
				return
			}
		}
	}
}

// Limit returns rows with only the first n rows to send left to send; the
// rows to send after them are made Pending, with a message saying that they
// were not sent and why, so that a resumed run sends them without checking
// their users first. Rows for which done reports true, rows that an
// earlier run finished, are not counted; done may be nil.
func Limit(rows iter.Seq2[Row, error], n int, reason string,
	done func(Row) bool) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		sent := 0
		for row, err := range rows {
			if err == nil && row.Outcome == "" && (done == nil || !done(row)) {
				if sent == n {
					row.Outcome, row.Message = Pending, notSent+reason
				} else {
					sent++
				}
			}
			if !yield(row, err) {
				return
			}
		}
	}
}

// Plan is what a run of some rows is about to send, counted from the rows
// alone.
type Plan struct {
	Rows       int // every row
	Activate   int // rows to send that activate a user
	Deactivate int // rows to send that deactivate a user
	ByEmail    int // rows to send that name their user by address
	ByID       int // rows to send that name their user by ID
	Done       int // rows an earlier run finished, not sent again
	Held       int // rows judged Invalid, Skipped or Pending, not sent
}

// Changes returns how many rows the run would send: the most users it may
// change.
func (p Plan) Changes() int { return p.Activate + p.Deactivate }

// CountPlan counts what a run of rows would send. Rows for which done
// reports true are counted as Done; done may be nil.
func CountPlan(rows iter.Seq2[Row, error], done func(Row) bool) (Plan, error) {
	var p Plan
	for row, err := range rows {
		if err != nil {
			return p, err
		}
		p.Rows++
		switch {
		case done != nil && done(row):
			p.Done++
		case row.Outcome != "":
			p.Held++
		default:
			p.count(row)
		}
	}
	return p, nil
}

func (p *Plan) count(row Row) {
	if row.Action == zoom.Activate {
		p.Activate++
	} else {
		p.Deactivate++
	}
	if strings.Contains(row.User, "@") {
		p.ByEmail++
	} else {
		p.ByID++
	}
}
