package batch

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/offboard/offboard/zoom"
)

// Directory is what finding candidates needs of Zoom: a listing of the
// account's users, and a get of one user for what the listing leaves out.
// *zoom.Client is one.
type Directory interface {
	Lister
	Getter
}

// ListPageSize is the page size a listing asks for: the most Zoom allows
// without question.
const ListPageSize = 300

// ErrListingExpired means the listing's page token expired more often than
// a listing is restarted for.
var ErrListingExpired = errors.New("the listing's page token kept expiring")

// maxRestarts is how many times a listing starts over after its page token
// expired. Tokens last 15 minutes, so a listing that needs more is being held
// up by something that a new start does not cure.
const maxRestarts = 3

// codeBadPageToken is Zoom's code, with HTTP 400, for a next_page_token that
// is invalid or expired. Zoom uses the same code for other bad requests, so
// it means an expired token only on a request that carried one.
const codeBadPageToken = 300

// Criteria say which users are candidates.
type Criteria struct {
	Status string    // the users to list: "active", "inactive" or "pending"
	Types  []int     // user types to keep, such as zoom.TypeLicensed; nil keeps every type
	Before time.Time // keep users last signed in before it, or never and created before it

	// IncludeAdmins keeps admins. Owners are left out even then, since Zoom
	// refuses to change an owner's status.
	IncludeAdmins bool

	// Workers is how many users are got at once to learn their roles; zero
	// means 4. The Directory paces the calls.
	Workers int
}

// Listing is what FindCandidates found.
type Listing struct {
	Candidates []zoom.User // sorted as SortCandidates does

	Listed   int // distinct users listed
	Pages    int // pages received, those of restarted listings included
	Restarts int // times the listing started over because its page token expired
	Lookups  int // users got to learn their roles
	Vanished int // candidates that no longer existed when got
	Owners   int // candidates left out for being owners
	Admins   int // candidates left out for being admins
	Undated  int // users neither signed in nor dated, so never candidates
}

// FindCandidates lists the users with c.Status and returns those that c
// selects. It asks for every page of the listing, following next_page_token;
// when a token expires it starts the listing again, keeping each user, by
// user ID or email address, only the first time it is seen. Listings do not
// say a user's role, so every user that passes the other criteria is got
// once to learn it. An error from Zoom ends the search.
func FindCandidates(ctx context.Context, d Directory, c Criteria) (*Listing, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	l := &Listing{}
	var kept []zoom.User
	err := listAll(ctx, d, c.Status, l, func(u zoom.User) {
		switch {
		case u.LastLoginTime.IsZero() && createdAt(u).IsZero():
			l.Undated++
		case c.matches(u):
			kept = append(kept, u)
		}
	})
	if err != nil {
		return l, err
	}
	kept, err = withRoles(ctx, d, kept, c.Workers, l)
	if err != nil {
		return l, err
	}
	l.Candidates = c.dropPrivileged(kept, l)
	SortCandidates(l.Candidates)
	return l, nil
}

func (c Criteria) check() error {
	switch c.Status {
	case "active", "inactive", "pending":
	default:
		return fmt.Errorf("find candidates: unknown status %q: want active, inactive or pending",
			c.Status)
	}
	if c.Before.IsZero() {
		return errors.New("find candidates: no sign-in cutoff")
	}
	return nil
}

// matches reports whether u passes every criterion but the role.
func (c Criteria) matches(u zoom.User) bool {
	if u.Status != "" && u.Status != c.Status {
		return false
	}
	if c.Types != nil && !slices.Contains(c.Types, u.Type) {
		return false
	}
	if !u.LastLoginTime.IsZero() {
		return u.LastLoginTime.Before(c.Before)
	}
	return createdAt(u).Before(c.Before)
}

// createdAt is when u was created. Listings name it user_created_at; the
// created_at they also carry is deprecated.
func createdAt(u zoom.User) time.Time {
	if !u.UserCreatedAt.IsZero() {
		return u.UserCreatedAt
	}
	return u.CreatedAt
}

// dropPrivileged returns users without owners, and without admins unless c
// includes them, counting those left out in l.
func (c Criteria) dropPrivileged(users []zoom.User, l *Listing) []zoom.User {
	return slices.DeleteFunc(users, func(u zoom.User) bool {
		switch {
		case strings.EqualFold(u.RoleName, "Owner"):
			l.Owners++
			return true
		case strings.EqualFold(u.RoleName, "Admin") && !c.IncludeAdmins:
			l.Admins++
			return true
		}
		return false
	})
}

// listAll calls visit with every user of the listing once, restarting the
// listing when its page token expires.
func listAll(ctx context.Context, d Directory, status string, l *Listing,
	visit func(zoom.User)) error {
	seen := newSeenSet()
	return listPages(ctx, d, status, nil, &l.Pages, &l.Restarts, func(p zoom.Page) {
		for _, u := range p.Users {
			if seen.add(u) {
				l.Listed++
				visit(u)
			}
		}
	})
}

// listPages calls visit with every page of the listing of status, from
// first, or from a page it gets when first is nil, following
// next_page_token. A page token that expired starts the listing over, at
// most maxRestarts times: visit then sees users again, and must not count
// them twice. It counts the pages visited and the restarts.
func listPages(ctx context.Context, l Lister, status string, first *zoom.Page,
	pages, restarts *int, visit func(zoom.Page)) error {
	next, token := first, ""
	for n := 1; ; n++ {
		if next == nil {
			p, _, err := l.ListUsers(ctx, status, ListPageSize, token)
			if token != "" && isBadPageToken(err) {
				if *restarts == maxRestarts {
					return fmt.Errorf("list %s users: %w: started over %d times", status,
						ErrListingExpired, *restarts)
				}
				*restarts++
				token, n = "", 0
				continue
			}
			if err != nil {
				return fmt.Errorf("list %s users, page %d: %w", status, n, err)
			}
			next = &p
		}
		*pages++
		visit(*next)
		if next.NextPageToken == "" {
			return nil
		}
		token, next = next.NextPageToken, nil
	}
}

func isBadPageToken(err error) bool {
	code, ok := zoom.RefusalCode(err)
	return ok && code == codeBadPageToken
}

// seenSet remembers the users a listing has shown, by ID and by address:
// pending users have no ID.
type seenSet struct {
	ids    map[string]bool
	emails map[string]bool
}

func newSeenSet() *seenSet {
	return &seenSet{ids: make(map[string]bool), emails: make(map[string]bool)}
}

// add records u and reports whether it was new.
func (s *seenSet) add(u zoom.User) bool {
	email := strings.ToLower(u.Email)
	if u.ID != "" && s.ids[u.ID] || email != "" && s.emails[email] {
		return false
	}
	if u.ID != "" {
		s.ids[u.ID] = true
	}
	if email != "" {
		s.emails[email] = true
	}
	return true
}

// withRoles fills in the role of every user that lacks one: from the role_id
// for built-in roles, else by getting the user, a few at a time. Users that
// no longer exist are dropped.
func withRoles(ctx context.Context, d Directory, users []zoom.User, workers int,
	l *Listing) ([]zoom.User, error) {
	if workers <= 0 {
		workers = 4
	}
	gone := make([]bool, len(users))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range users {
		if users[i].RoleName == "" {
			users[i].RoleName = zoom.BuiltinRole(users[i].RoleID)
		}
		if users[i].RoleName != "" {
			continue
		}
		l.Lookups++
		g.Go(func() error {
			var err error
			gone[i], err = lookUpRole(gctx, d, &users[i])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	kept := users[:0]
	for i, u := range users {
		if gone[i] {
			l.Vanished++
			continue
		}
		kept = append(kept, u)
	}
	return kept, nil
}

// lookUpRole gets u to learn its role. It reports whether u no longer exists.
func lookUpRole(ctx context.Context, d Directory, u *zoom.User) (gone bool, err error) {
	key := cmp.Or(u.ID, u.Email)
	got, _, err := d.GetUser(ctx, key)
	switch {
	case zoom.IsNotFound(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("get user %s for their role: %w", key, err)
	}
	u.RoleName = got.RoleName
	return false, nil
}

// SortCandidates sorts users by how long their licence has gone unused:
// users who never signed in come first, oldest accounts first, then the
// others by their last sign-in, oldest first. Ties go by email address.
func SortCandidates(users []zoom.User) {
	slices.SortFunc(users, func(a, b zoom.User) int {
		aNever, bNever := a.LastLoginTime.IsZero(), b.LastLoginTime.IsZero()
		var by int
		switch {
		case aNever && bNever:
			by = createdAt(a).Compare(createdAt(b))
		case aNever || bNever:
			by = compareBool(bNever, aNever) // never first
		default:
			by = a.LastLoginTime.Compare(b.LastLoginTime)
		}
		return cmp.Or(by, strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)))
	})
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// CandidatesHeader is the header of a candidates file. Run reads the email
// column as the users and the action column as their actions, and ignores
// the others, which are there for the people who review the file.
var CandidatesHeader = []string{
	"email", "user_id", "action", "last_login_time", "type", "role_name", "dept",
}

// WriteCandidates writes users as a candidates file, each with action a.
// Times are RFC 3339 in UTC, empty for a user who never signed in; the type
// is its name, such as Licensed. Cells that only describe a user are made
// inert for spreadsheets: one that starts like a formula gets a leading
// apostrophe.
func WriteCandidates(w io.Writer, users []zoom.User, a zoom.Action) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CandidatesHeader); err != nil {
		return fmt.Errorf("write candidates: %w", err)
	}
	for _, u := range users {
		rec := []string{
			u.Email, u.ID, string(a), formatTime(u.LastLoginTime), zoom.TypeName(u.Type),
			inert(u.RoleName), inert(u.Dept),
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write candidates: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write candidates: %w", err)
	}
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
