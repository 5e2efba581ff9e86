package batch

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/offboard/offboard/zoom"
)

// Roster is the account's users as listings showed them, held compactly so
// that a preview of a large file can judge every row without a call of its
// own. It keeps of each user only what a prediction needs: the address, the
// ID, the status, the type and the role. The addresses and IDs lie back to
// back in one buffer and are indexed by a hash, so that a user costs about
// 100 bytes beyond its address and ID.
//
// A Roster is safe for concurrent use once the listing is complete.
type Roster struct {
	seed  maphash.Seed
	text  []byte       // every address and ID, back to back
	users []rosterUser // in the order listed

	// byKey indexes users by the hash of their address in lower case and of
	// their ID; spill holds the rare keys whose hash another key took.
	byKey map[uint64]int32
	spill map[string]int32

	byLocal map[uint64]int32 // hash of the lower-case local part -> its last user
	sameAt  []int32          // the user before with the same local part, or -1
	domains map[string][]int32

	// compared counts the addresses compared in searches for typos, to
	// bound the time a file of strangers can take.
	compared atomic.Int64

	// Pages is how many listing pages the roster took, Restarts how many
	// times a listing started over because its page token expired.
	Pages, Restarts int
}

// rosterUser is one user of a Roster. The address starts at off in the
// text and the ID follows it.
type rosterUser struct {
	off      uint32
	emailLen uint16
	at       uint8 // length of the local part; Add refuses longer ones
	idLen    uint8
	status   uint8
	role     uint8
	typ      uint8
}

// rosterStatuses are the statuses a rosterUser records, by number.
var rosterStatuses = []string{"active", "inactive", "pending"}

// The roles a rosterUser records.
const (
	roleUnknown uint8 = iota
	roleOwner
	roleAdmin
	roleMember
	roleCustom
)

// roleIDs are the role_id values that stand for each role a rosterUser
// records; a custom role's own ID is not kept.
var roleIDs = []string{roleUnknown: "", roleOwner: "0", roleAdmin: "1", roleMember: "2",
	roleCustom: "custom"}

// NewRoster returns an empty roster, to fill with Add.
func NewRoster() *Roster {
	return &Roster{
		seed:    maphash.MakeSeed(),
		byKey:   make(map[uint64]int32),
		spill:   make(map[string]int32),
		byLocal: make(map[uint64]int32),
		domains: make(map[string][]int32),
	}
}

// Len returns how many users the roster holds.
func (r *Roster) Len() int { return len(r.users) }

// Add records a listed user and reports whether it did. A user whose
// address is already recorded, as a listing that started over shows it
// again, is not, nor is a user without a plausible address or with an
// unknown status. Add must not be called once the roster is in use.
func (r *Roster) Add(u zoom.User) bool {
	status := slices.Index(rosterStatuses, u.Status)
	at := strings.LastIndexByte(u.Email, '@')
	if status < 0 || at <= 0 || at > 0xff || len(u.Email) > 0xffff || len(u.ID) > 0xff ||
		strings.Contains(u.ID, "@") {
		return false
	}
	if _, ok := r.lookup(u.Email); ok {
		return false
	}
	i := int32(len(r.users))
	r.users = append(r.users, rosterUser{
		off: uint32(len(r.text)), emailLen: uint16(len(u.Email)), at: uint8(at),
		idLen: uint8(len(u.ID)), status: uint8(status), role: roleOf(u),
		typ: uint8(min(max(u.Type, 0), 0xff)),
	})
	r.text = append(append(r.text, u.Email...), u.ID...)
	r.index(u.Email, i)
	if u.ID != "" {
		r.index(u.ID, i)
	}
	h := r.hash(strings.ToLower(u.Email[:at]))
	before, ok := r.byLocal[h]
	if !ok {
		before = -1
	}
	r.sameAt = append(r.sameAt, before)
	r.byLocal[h] = i
	domain := strings.ToLower(u.Email[at+1:])
	r.domains[domain] = append(r.domains[domain], i)
	return true
}

// roleOf returns u's role, by role_id as listings give it or by role_name
// as a get does.
func roleOf(u zoom.User) uint8 {
	switch name := roleName(u); {
	case name == "":
		return roleUnknown
	case strings.EqualFold(name, "Owner"):
		return roleOwner
	case strings.EqualFold(name, "Admin"):
		return roleAdmin
	case strings.EqualFold(name, "Member"):
		return roleMember
	}
	return roleCustom
}

// emailBytes returns user i's address, in the roster's buffer.
func (r *Roster) emailBytes(i int32) []byte {
	u := r.users[i]
	return r.text[u.off : u.off+uint32(u.emailLen)]
}

func (r *Roster) email(i int32) string { return string(r.emailBytes(i)) }

func (r *Roster) id(i int32) string {
	u := r.users[i]
	start := u.off + uint32(u.emailLen)
	return string(r.text[start : start+uint32(u.idLen)])
}

// hash returns the hash of s, which callers have folded to lower case when
// case does not matter.
func (r *Roster) hash(s string) uint64 { return maphash.String(r.seed, s) }

// holds reports whether user i is the one key k names.
func (r *Roster) holds(i int32, k string) bool {
	if strings.Contains(k, "@") {
		return strings.ToLower(r.email(i)) == k
	}
	return r.id(i) == k
}

// index records user i under s, an address or an ID.
func (r *Roster) index(s string, i int32) {
	k := userKey(s)
	h := r.hash(k)
	if j, taken := r.byKey[h]; taken && !r.holds(j, k) {
		r.spill[k] = i
		return
	}
	r.byKey[h] = i
}

// lookup finds the user that s, an address or an ID, names.
func (r *Roster) lookup(s string) (int32, bool) {
	k := userKey(s)
	i, ok := r.byKey[r.hash(k)]
	switch {
	case !ok:
		return 0, false
	case r.holds(i, k):
		return i, true
	}
	i, ok = r.spill[k]
	return i, ok
}

// Find returns the user that user names, an address in any case or an ID.
func (r *Roster) Find(user string) (zoom.User, bool) {
	i, ok := r.lookup(user)
	if !ok {
		return zoom.User{}, false
	}
	return r.user(i), true
}

// user returns user i as a get would show what a prediction needs of it.
func (r *Roster) user(i int32) zoom.User {
	u := r.users[i]
	return zoom.User{ID: r.id(i), Email: r.email(i), Status: rosterStatuses[u.status],
		Type: int(u.typ), RoleID: roleIDs[u.role]}
}

// maxCompared is how many addresses a roster compares in all in its
// searches for typos: about two seconds' work. A search reads every
// address of the domain, so a file that is mostly strangers to a large
// account would otherwise take minutes for hints.
const maxCompared = 20_000_000

// Similar returns up to n addresses of the roster that addr, an address it
// does not hold, may have been meant as: the same local part at another
// domain, or at the same domain a local part one or two edits away (a letter
// added, dropped, changed, or two neighbours swapped), nearest first. Case is
// ignored. Once the roster has compared maxCompared addresses, it looks for
// other domains only.
func (r *Roster) Similar(addr string, n int) []string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || n <= 0 {
		return nil
	}
	local, domain := strings.ToLower(addr[:at]), strings.ToLower(addr[at+1:])
	type near struct {
		dist int
		i    int32
	}
	var found []near
	if last, ok := r.byLocal[r.hash(local)]; ok {
		for i := last; i >= 0; i = r.sameAt[i] {
			l, d := r.split(i)
			if editDistance(local, l, 0) == 0 && !strings.EqualFold(string(d), domain) {
				found = append(found, near{1, i})
			}
		}
	}
	if at := r.domains[domain]; r.compared.Add(int64(len(at))) <= maxCompared {
		for _, i := range at {
			if n := int(r.users[i].at); n < len(local)-2 || n > len(local)+2 {
				continue
			}
			l, _ := r.split(i)
			if d := editDistance(local, l, 2); d > 0 && d <= 2 {
				found = append(found, near{d, i})
			}
		}
	}
	slices.SortStableFunc(found, func(a, b near) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return bytes.Compare(r.emailBytes(a.i), r.emailBytes(b.i))
	})
	var out []string
	for _, f := range found[:min(n, len(found))] {
		out = append(out, r.email(f.i))
	}
	return out
}

// split returns the local part and the domain of user i's address.
func (r *Roster) split(i int32) ([]byte, []byte) {
	e, at := r.emailBytes(i), r.users[i].at
	return e[:at], e[at+1:]
}

// editDistance returns the optimal string alignment distance between a and b,
// comparing ASCII letters without regard to case: the fewest insertions,
// deletions, substitutions and swaps of neighbours that turn one into the
// other. It returns limit+1 for any distance above limit (a limit of at
// most 254), which it tells early: it fills only the band of the table
// within limit of the diagonal and stops at a row that holds nothing within
// limit. Other bytes compare
// as they are, so a non-ASCII letter counts as one edit per byte.
func editDistance[A, B ~string | ~[]byte](a A, b B, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	over := uint8(min(limit, 254) + 1)
	// Three rows of the table: two back, one back, current. Local parts
	// are at most 64 bytes, so the rows usually fit on the stack. Cells
	// hold at most over.
	var rows [3][66]uint8
	prev2, prev, cur := rows[0][:], rows[1][:], rows[2][:]
	if len(b)+2 > len(rows[0]) {
		prev2, prev, cur = make([]uint8, len(b)+2), make([]uint8, len(b)+2), make([]uint8, len(b)+2)
	}
	for j := 0; j <= min(len(b), limit); j++ {
		prev[j] = uint8(j)
	}
	prev[min(len(b), limit)+1] = over
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(len(b), i+limit)
		cur[lo-1] = over
		if lo == 1 {
			cur[0] = uint8(min(i, int(over)))
		}
		best := cur[lo-1]
		for j := lo; j <= hi; j++ {
			c := min(prev[j]+1, cur[j-1]+1, prev[j-1]+diff(a[i-1], b[j-1]))
			if i > 1 && j > 1 && fold(a[i-1]) == fold(b[j-2]) && fold(a[i-2]) == fold(b[j-1]) {
				c = min(c, prev2[j-2]+1)
			}
			cur[j] = min(c, over)
			best = min(best, cur[j])
		}
		cur[hi+1] = over
		if best >= over {
			return int(over)
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return int(prev[len(b)])
}

// diff is 0 when a and b are the same byte, ASCII case aside, and 1 otherwise.
func diff(a, b byte) uint8 {
	if fold(a) == fold(b) {
		return 0
	}
	return 1
}

// fold returns an ASCII letter in lower case and any other byte as it is.
func fold(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
