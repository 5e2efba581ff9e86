package batch

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/offboard/offboard/zoom"
)

// userTally remembers every user that the first pass found sendable, so that
// the second pass can tell duplicates and conflicts apart from first
// mentions.
//
// It keeps no user names, only a 64-bit hash of each (under a seed chosen at
// random for each Input), in a sorted slice of 16 bytes a user, so that a
// million users take 16 MiB. The price is that two different users whose
// hashes collide are treated as one: the later row is Skipped as a
// duplicate or, when the actions differ, both are Invalid. Such an error
// withholds a change but never makes one. For a million users the chance of
// any collision is about one in forty million.
type userTally struct {
	seed maphash.Seed
	hint int // rows to make room for at the first add
	// entries holds, until settle, one entry a row added, whose lines is the
	// row's line shifted left by one, or'ed with 1 for activate. After
	// settle it holds one entry a user, sorted by key, whose lines is the
	// first line that activates the user shifted left by 32, or'ed with
	// the first line that deactivates the user; 0 means none.
	entries []userEntry
}

type userEntry struct {
	key   uint64
	lines uint64
}

// maxLine is the last line that userTally can record.
const maxLine = 1<<32 - 1

// maxUsersHint bounds the rows that userTally makes room for at once:
// beyond, the slice grows as it fills.
const maxUsersHint = 2 << 20

// newUserTally returns a tally that makes room for about hint rows.
func newUserTally(seed maphash.Seed, hint int) *userTally {
	return &userTally{seed: seed, hint: min(hint, maxUsersHint)}
}

// actionShift returns where in a settled entry the line for a is.
func actionShift(a zoom.Action) uint {
	if a == zoom.Activate {
		return 32
	}
	return 0
}

func (t *userTally) key(user string) uint64 {
	return maphash.String(t.seed, userKey(user))
}

// add records that line asks for a on user.
func (t *userTally) add(user string, a zoom.Action, line int) {
	if t.entries == nil {
		t.entries = make([]userEntry, 0, max(t.hint, 16))
	}
	e := userEntry{key: t.key(user), lines: uint64(line) << 1}
	if a == zoom.Activate {
		e.lines |= 1
	}
	t.entries = append(t.entries, e)
}

// settle sorts the rows added by user, keeps one entry a user, and adds the
// outcomes of the rows to sum.
func (t *userTally) settle(sum *Summary) {
	e := t.entries
	slices.SortFunc(e, func(a, b userEntry) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.lines, b.lines))
	})
	users := 0
	for i := 0; i < len(e); {
		var first [2]uint64 // deactivate, activate
		j := i
		for ; j < len(e) && e[j].key == e[i].key; j++ {
			if a := e[j].lines & 1; first[a] == 0 {
				first[a] = e[j].lines >> 1
			}
		}
		countUser(sum, first, j-i)
		e[users] = userEntry{key: e[i].key, lines: first[1]<<32 | first[0]}
		users++
		i = j
	}
	t.entries = e[:users]
}

// countUser adds to sum the outcomes of the rows for one user, the first
// of which that deactivate and activate are on the lines first.
func countUser(sum *Summary, first [2]uint64, rows int) {
	switch {
	case first[0] != 0 && first[1] != 0:
		sum.Invalid += rows
	case first[1] != 0:
		sum.ToActivate++
		sum.Skipped += rows - 1
	default:
		sum.ToDeactivate++
		sum.Skipped += rows - 1
	}
}

// verdict judges row, which the first pass added, against the other rows:
// a later row for the same user and action is Skipped, and every row for a
// user whom other rows give another action is Invalid. It returns
// ErrChanged when the first pass did not see the row.
func (t *userTally) verdict(row *Row) error {
	v := t.find(t.key(row.User))
	shift := actionShift(row.Action)
	mine, other := int(v>>shift&maxLine), int(v>>(32-shift)&maxLine)
	switch {
	case mine == 0 || mine > row.Line:
		return ErrChanged
	case other != 0:
		row.Outcome = Invalid
		row.Message = fmt.Sprintf("conflicts with line %d, which asks to %s the same user",
			other, otherAction(row.Action))
	case mine != row.Line:
		row.Outcome = Skipped
		row.Message = fmt.Sprintf("duplicate of line %d", mine)
	}
	return nil
}

// find returns the lines of the settled entry for key, or 0 when there is
// none. Hashes spread evenly, so the entry is near the place that its key
// takes in the range of keys: find searches outwards from there.
func (t *userTally) find(key uint64) uint64 {
	e := t.entries
	if len(e) == 0 {
		return 0
	}
	guess, _ := bits.Mul64(key, uint64(len(e)))
	lo, hi := int(guess), int(guess)+1
	for step := 1; lo > 0 && e[lo].key > key; step *= 2 {
		lo = max(lo-step, 0)
	}
	for step := 1; hi < len(e) && e[hi-1].key < key; step *= 2 {
		hi = min(hi+step, len(e))
	}
	i, ok := slices.BinarySearchFunc(e[lo:hi], key, func(e userEntry, k uint64) int {
		return cmp.Compare(e.key, k)
	})
	if !ok {
		return 0
	}
	return e[lo+i].lines
}

// otherAction returns the action that is not a.
func otherAction(a zoom.Action) zoom.Action {
	if a == zoom.Activate {
		return zoom.Deactivate
	}
	return zoom.Activate
}
