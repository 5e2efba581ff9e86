package batch

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/offboard/offboard/zoom"
)

// Roster is the account's users as listings showed them, held compactly so
// that a preview of a large file can judge every row without a call of its
// own. It keeps of each user only what a prediction needs: the address, the
// ID, the status, the type and whether the role is owner or admin. The
// addresses and IDs lie back to back in one buffer and are indexed by a hash,
// so a user costs some 60 bytes beyond its address and ID.
//
// A Roster is safe for concurrent use once the listing is complete.
type Roster struct {
	seed  maphash.Seed
	text  []byte       // every address and ID, back to back
	users []rosterUser // in the order listed

	byEmail map[uint64]int32 // hash of the address in lower case -> user
	byID    map[uint64]int32
	spill   map[string]int32 // the rare keys whose hash another key already took
	byLocal map[uint64]int32 // hash of the lower-case local part -> its first user
	sameAt  []int32          // the next user with the same local part, or -1
	domains map[string][]int32

	// suggested counts the unknown addresses searched for typos, to bound
	// the time a file of strangers can take.
	suggested atomic.Int64

	// Pages is how many listing pages the roster took, Restarts how many
	// times a listing started over because its page token expired.
	Pages, Restarts int
}

// rosterUser is one user of a Roster. The address starts at off in the
// text and the ID follows it.
type rosterUser struct {
	off      uint32
	emailLen uint16
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
		byEmail: make(map[uint64]int32),
		byID:    make(map[uint64]int32),
		spill:   make(map[string]int32),
		byLocal: make(map[uint64]int32),
		domains: make(map[string][]int32),
	}
}

// Len returns how many users the roster holds.
func (r *Roster) Len() int { return len(r.users) }

// Add records a listed user. A user whose address is already recorded, as
// a listing that started over shows it again, is ignored, as is a user
// without a plausible address or with an unknown status. Add must not be
// called once the roster is in use.
func (r *Roster) Add(u zoom.User) bool {
	status := slices.Index(rosterStatuses, u.Status)
	at := strings.LastIndexByte(u.Email, '@')
	if status < 0 || at <= 0 || len(u.Email) > 0xffff || len(u.ID) > 0xff {
		return false
	}
	if _, ok := r.lookup(r.byEmail, u.Email, r.email); ok {
		return false
	}
	i := int32(len(r.users))
	r.users = append(r.users, rosterUser{
		off: uint32(len(r.text)), emailLen: uint16(len(u.Email)), idLen: uint8(len(u.ID)),
		status: uint8(status), role: roleOf(u), typ: uint8(min(max(u.Type, 0), 0xff)),
	})
	r.text = append(append(r.text, u.Email...), u.ID...)
	r.index(r.byEmail, u.Email, i, r.email)
	if u.ID != "" {
		r.index(r.byID, u.ID, i, r.id)
	}
	local, domain := strings.ToLower(u.Email[:at]), strings.ToLower(u.Email[at+1:])
	h := r.hash(local)
	first, ok := r.byLocal[h]
	r.sameAt = append(r.sameAt, -1)
	if ok {
		r.sameAt[i], r.byLocal[h] = first, i
	} else {
		r.byLocal[h] = i
	}
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

func (r *Roster) email(i int32) string {
	u := r.users[i]
	return string(r.text[u.off : u.off+uint32(u.emailLen)])
}

func (r *Roster) id(i int32) string {
	u := r.users[i]
	start := u.off + uint32(u.emailLen)
	return string(r.text[start : start+uint32(u.idLen)])
}

// hash returns the hash of s, which callers have folded to lower case when
// case does not matter.
func (r *Roster) hash(s string) uint64 { return maphash.String(r.seed, s) }

// key returns the form of a user under which it is indexed: addresses in
// lower case, IDs as they are.
func key(s string) string {
	if strings.Contains(s, "@") {
		return strings.ToLower(s)
	}
	return s
}

// index records user i under s in m.
func (r *Roster) index(m map[uint64]int32, s string, i int32, of func(int32) string) {
	k := key(s)
	h := r.hash(k)
	if j, taken := m[h]; taken && key(of(j)) != k {
		r.spill[k] = i
		return
	}
	m[h] = i
}

// lookup finds the user indexed under s in m.
func (r *Roster) lookup(m map[uint64]int32, s string, of func(int32) string) (int32, bool) {
	k := key(s)
	i, ok := m[r.hash(k)]
	if ok && key(of(i)) == k {
		return i, true
	}
	if ok {
		i, ok = r.spill[k]
		return i, ok && key(of(i)) == k
	}
	return 0, false
}

// Find returns the user that user names, an address in any case or an ID.
func (r *Roster) Find(user string) (zoom.User, bool) {
	m, of := r.byID, r.id
	if strings.Contains(user, "@") {
		m, of = r.byEmail, r.email
	}
	i, ok := r.lookup(m, user, of)
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

// maxSuggested is how many unknown addresses a roster searches for typos.
// Each search reads every address of the domain; past this many, a file
// that is mostly strangers would take minutes for a hint.
const maxSuggested = 2000

// Similar returns up to n addresses of the roster that addr, an address it
// does not hold, may have been meant as: the same local part at another
// domain, or at the same domain a local part one or two edits away (a letter
// added, dropped, changed, or two neighbours swapped), nearest first. Case is
// ignored. Only the first maxSuggested calls search for typos.
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
	if first, ok := r.byLocal[r.hash(local)]; ok {
		for i := first; i >= 0; i = r.sameAt[i] {
			l, d := r.split(i)
			if strings.EqualFold(l, local) && !strings.EqualFold(d, domain) {
				found = append(found, near{1, i})
			}
		}
	}
	if r.suggested.Add(1) <= maxSuggested {
		for _, i := range r.domains[domain] {
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
		return strings.Compare(r.email(a.i), r.email(b.i))
	})
	var out []string
	for _, f := range found[:min(n, len(found))] {
		out = append(out, r.email(f.i))
	}
	return out
}

// split returns the local part and the domain of user i's address.
func (r *Roster) split(i int32) (string, string) {
	e := r.email(i)
	at := strings.LastIndexByte(e, '@')
	return e[:at], e[at+1:]
}

// editDistance returns the optimal string alignment distance between a and b,
// comparing ASCII letters without regard to case: the fewest insertions,
// deletions, substitutions and swaps of neighbours that turn one into the
// other. It stops early and returns limit+1 once the distance must exceed
// limit. Other bytes compare as they are, so a non-ASCII letter counts as
// one edit per byte.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Three rows of the dynamic programme: two back, one back, current.
	// Local parts are at most 64 bytes, so the rows fit on the stack.
	var rows [3][66]int
	prev2, prev, cur := rows[0][:], rows[1][:], rows[2][:]
	if len(b) >= len(rows[0]) {
		prev2, prev, cur = make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if fold(a[i-1]) == fold(b[j-1]) {
				cost = 0
			}
			c := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && fold(a[i-1]) == fold(b[j-2]) && fold(a[i-2]) == fold(b[j-1]) {
				c = min(c, prev2[j-2]+1)
			}
			cur[j] = c
			best = min(best, c)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

// fold returns an ASCII letter in lower case and any other byte as it is.
func fold(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
