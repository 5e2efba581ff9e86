package batch

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

// specClient returns a client of an in-process sandbox whose every request
// and answer is checked against Zoom's spec, with Light and Medium gates of
// their own.
func specClient(t *testing.T, opts zoomtest.Options) (*zoom.Client, *zoomtest.Server) {
	t.Helper()
	opts.Wrap = spectest.Load(t).Wrap(t)
	sb := zoomtest.New(opts)
	hc := &http.Client{Transport: sb.Transport()}
	c, err := zoom.NewClient(zoom.Config{
		APIURL:      sb.APIURL(),
		Tokens:      zoom.NewAccountTokens(zoom.Credentials(sb.Credentials()), sb.TokenURL(), hc),
		HTTPClient:  hc,
		Light:       ratelimit.New(ratelimit.Config{Rate: 50, Adaptive: true}),
		Medium:      ratelimit.New(ratelimit.Config{Rate: 20, Adaptive: true}),
		MaxAttempts: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, sb
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"dan.morris", "dan.morris", 0},
		{"dan.morris", "Dan.Morris", 0},
		{"dan.morris", "dan.moris", 1},   // a letter dropped
		{"dan.morris", "dan.morriss", 1}, // a letter added
		{"dan.morris", "dan.morrix", 1},  // a letter changed
		{"dan.morris", "dan.mroris", 1},  // neighbours swapped
		{"dan.morris", "dna.mroris", 2},
		{"dan.morris", "d.morris", 2},
		{"dan.morris", "morris", 3}, // beyond the limit of 2
		{"ab", "ba", 1},
		{"", "ab", 2},
		{"", "abc", 3},
		{"café", "cafe", 2}, // é is two bytes
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b, 2); got != tt.want {
				t.Errorf("editDistance(%q, %q, 2) = %d; want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// fullDistance is the optimal string alignment distance by the whole table,
// to check the banded one against.
func fullDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+int(diff(a[i-1], b[j-1])))
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistanceMatchesFullTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rng.IntN(9))
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for range 20000 {
		a, b := word(), word()
		for limit := range 4 {
			want := min(fullDistance(a, b), limit+1)
			if got := editDistance(a, b, limit); got != want {
				t.Fatalf("editDistance(%q, %q, %d) = %d; want %d", a, b, limit, got, want)
			}
		}
	}
}

func rosterOf(t *testing.T, users ...zoom.User) *Roster {
	t.Helper()
	r := NewRoster()
	for _, u := range users {
		if !r.Add(u) {
			t.Fatalf("Add(%+v) = false; want true", u)
		}
	}
	return r
}

func TestRosterFind(t *testing.T) {
	r := rosterOf(t,
		zoom.User{ID: "zJKyaiAyTNC-MWjiWC18KQ", Email: "Ian.Clarke@example.com", Status: "active",
			Type: zoom.TypeLicensed, RoleID: "2"},
		zoom.User{ID: "G1aOXtXdOlpYSU8J9do_Hg", Email: "owner@example.com", Status: "active",
			RoleID: "0", Type: zoom.TypeLicensed},
		zoom.User{Email: "new.starter@example.com", Status: "pending", Type: zoom.TypeBasic},
	)
	tests := []struct {
		user   string
		ok     bool
		email  string
		status string
		role   string
	}{
		{"ian.clarke@example.com", true, "Ian.Clarke@example.com", "active", "Member"},
		{"IAN.CLARKE@EXAMPLE.COM", true, "Ian.Clarke@example.com", "active", "Member"},
		{"zJKyaiAyTNC-MWjiWC18KQ", true, "Ian.Clarke@example.com", "active", "Member"},
		{"zjkyaiaytnc-mwjiwc18kq", false, "", "", ""}, // IDs are case-sensitive
		{"G1aOXtXdOlpYSU8J9do_Hg", true, "owner@example.com", "active", "Owner"},
		{"new.starter@example.com", true, "new.starter@example.com", "pending", ""},
		{"nobody@example.com", false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			u, ok := r.Find(tt.user)
			if ok != tt.ok || u.Email != tt.email || u.Status != tt.status ||
				roleName(u) != tt.role {
				t.Errorf("Find(%q) = %q %q role %q, %v; want %q %q role %q, %v", tt.user,
					u.Email, u.Status, roleName(u), ok, tt.email, tt.status, tt.role, tt.ok)
			}
		})
	}
	if r.Add(zoom.User{Email: "ian.clarke@EXAMPLE.com", Status: "inactive"}) {
		t.Errorf("Add of an address already held = true; want false")
	}
	if r.Len() != 3 {
		t.Errorf("Len() = %d; want 3", r.Len())
	}
}

func TestRosterSimilar(t *testing.T) {
	var users []zoom.User
	for _, e := range []string{"dan.morris@example.com", "dan.morris@example.org",
		"dan.norris@example.com", "eva.lindqvist@example.com", "jo@example.com",
		"Kim.Park@Example.com"} {
		users = append(users, zoom.User{Email: e, Status: "active"})
	}
	r := rosterOf(t, users...)
	tests := []struct {
		addr string
		want []string
	}{
		// The nearer first: one edit, then two.
		{"dan.moris@example.com", []string{"dan.morris@example.com", "dan.norris@example.com"}},
		{"dan.morrris@example.com", []string{"dan.morris@example.com", "dan.norris@example.com"}},
		{"dan.morris@example.net", []string{"dan.morris@example.com", "dan.morris@example.org"}},
		// Another domain and a typo at the same domain are as near: by address.
		{"dan.norris@example.org", []string{"dan.morris@example.org", "dan.norris@example.com"}},
		{"eva.lindqvsit@example.com", []string{"eva.lindqvist@example.com"}},
		{"eva.lindkvsit@example.com", []string{"eva.lindqvist@example.com"}},
		{"kim.park@example.co.uk", []string{"Kim.Park@Example.com"}},
		{"kimpark@example.com", []string{"Kim.Park@Example.com"}},
		{"eva.lundkvsit@example.com", nil}, // three edits
		{"jo@example.org", []string{"jo@example.com"}},
		{"someone.else@example.com", nil},
		{"not-an-address", nil},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := r.Similar(tt.addr, 2); !slices.Equal(got, tt.want) {
				t.Errorf("Similar(%q, 2) = %q; want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestRosterSimilarBudget(t *testing.T) {
	r := rosterOf(t, zoom.User{Email: "dan.morris@example.com", Status: "active"})
	r.compared.Store(maxCompared)
	tests := []struct {
		addr string
		want []string
	}{
		{"dan.moris@example.com", nil}, // typos are no longer searched for
		{"dan.morris@example.org", []string{"dan.morris@example.com"}},
	}
	for _, tt := range tests {
		if got := r.Similar(tt.addr, 2); !slices.Equal(got, tt.want) {
			t.Errorf("Similar(%q, 2) with the budget spent = %q; want %q", tt.addr, got, tt.want)
		}
	}
}

func TestListRosterIfCheaper(t *testing.T) {
	tests := []struct {
		name      string
		users     int
		rows      int
		listed    bool
		wantLists int
	}{
		{"small file", 50, MinRosterRows - 1, false, 0},
		{"small account", 50, MinRosterRows, true, 3},
		// 1,000 active users take 4 pages: 3 more than the first, fewer than the rows.
		{"rest of the listing shorter than the file", 1000, MinRosterRows, true, 6},
		// 6,500 take 22: 21 more, as many as the rows or more.
		{"rest of the listing as long as the file", 6500, 21, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, sb := specClient(t, zoomtest.Options{Users: zoomtest.Generate(tt.users)})
				r, err := ListRosterIfCheaper(context.Background(), c, tt.rows)
				if err != nil {
					t.Fatal(err)
				}
				st := sb.Stats()
				if r != nil != tt.listed || st.Lists != tt.wantLists || st.Gets != 0 {
					t.Fatalf("ListRosterIfCheaper(%d users, %d rows) = %v after %d lists, "+
						"%d gets; "+
						"want listed %v after %d lists, no get",
						tt.users, tt.rows, r != nil, st.Lists, st.Gets, tt.listed, tt.wantLists)
				}
				if r != nil && (r.Len() != tt.users || r.Pages != tt.wantLists) {
					t.Errorf("roster holds %d users from %d pages; want %d from %d",
						r.Len(), r.Pages, tt.users, tt.wantLists)
				}
			})
		})
	}
}

// slowLister waits before asking for a next page, as a listing held up for
// longer than a page token lives would.
type slowLister struct {
	Lister
	wait  time.Duration
	times int // how many next pages wait
}

func (l *slowLister) ListUsers(ctx context.Context, status string, size int, token string) (
	zoom.Page, zoom.Response, error) {
	if token != "" && l.times > 0 {
		l.times--
		time.Sleep(l.wait)
	}
	return l.Lister.ListUsers(ctx, status, size, token)
}

func TestListRosterRestartsOnExpiredToken(t *testing.T) {
	tests := []struct {
		name     string
		times    int
		restarts int
		err      error
	}{
		{"one expiry", 1, 1, nil},
		{"expiring for good", maxRestarts + 1, maxRestarts, ErrListingExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, _ := specClient(t, zoomtest.Options{Users: zoomtest.Generate(700)})
				l := &slowLister{Lister: c, wait: 16 * time.Minute, times: tt.times}
				r, err := ListRosterIfCheaper(context.Background(), l, 100)
				if !errors.Is(err, tt.err) {
					t.Fatalf("ListRosterIfCheaper() = %v; want %v", err, tt.err)
				}
				if err == nil && (r.Len() != 700 || r.Restarts != tt.restarts) {
					t.Errorf("roster holds %d users after %d restarts; want 700 after %d",
						r.Len(), r.Restarts, tt.restarts)
				}
			})
		})
	}
}
