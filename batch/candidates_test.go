package batch_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

const day = 24 * time.Hour

// sandbox is an in-process Zoom whose API calls are checked against Zoom's
// spec, with a client paced by separate Light and Medium gates.
type sandbox struct {
	srv    *zoomtest.Server
	client *zoom.Client
	light  *ratelimit.Gate
	medium *ratelimit.Gate

	mu    sync.Mutex
	lists []time.Time // arrival of every list-users request
}

// newSandbox returns a sandbox for opts, whose plan sets the gates' rates.
// It must be called inside the synctest bubble that uses it.
func newSandbox(t *testing.T, opts zoomtest.Options) *sandbox {
	t.Helper()
	spec := spectest.Load(t)
	sb := &sandbox{}
	check := spec.Wrap(t)
	opts.Wrap = func(h http.Handler) http.Handler { return sb.record(check(h)) }
	sb.srv = zoomtest.New(opts)
	rates := map[string][2]float64{"free": {4, 2}, "pro": {30, 20}, "business": {80, 60}}
	r := rates[cmp.Or(opts.Plan, "pro")]
	sb.light = ratelimit.New(ratelimit.Config{Rate: r[0], Adaptive: true})
	sb.medium = ratelimit.New(ratelimit.Config{Rate: r[1], Adaptive: true})
	hc := &http.Client{Transport: sb.srv.Transport()}
	creds := zoom.Credentials(sb.srv.Credentials())
	c, err := zoom.NewClient(zoom.Config{
		APIURL:     sb.srv.APIURL(),
		Tokens:     zoom.NewAccountTokens(creds, sb.srv.TokenURL(), hc),
		HTTPClient: hc,
		Light:      sb.light,
		Medium:     sb.medium,
	})
	if err != nil {
		t.Fatal(err)
	}
	sb.client = c
	return sb
}

// record notes when each list-users request arrives.
func (sb *sandbox) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v2/users" {
			sb.mu.Lock()
			sb.lists = append(sb.lists, time.Now())
			sb.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// dormant returns, in directory order, the addresses of the users with
// status and one of types (nil: any) whose last sign-in, or else creation,
// is before cutoff, and whose role is not Owner or (without admins) Admin.
func dormant(users []zoomtest.User, status string, types []int, cutoff time.Time,
	admins bool) []string {
	var out []string
	for _, u := range users {
		when := u.LastLogin
		if when.IsZero() {
			when = u.Created
		}
		switch {
		case u.Status != status, types != nil && !slices.Contains(types, u.Type),
			!when.Before(cutoff), u.Role == "Owner", u.Role == "Admin" && !admins:
			continue
		}
		out = append(out, u.Email)
	}
	return out
}

func emailsOf(users []zoom.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Email
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestFindCandidatesListsEveryPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(1000)
		sb := newSandbox(t, zoomtest.Options{Users: users})
		cutoff := time.Now().Add(-90 * day)
		c := batch.Criteria{Status: "active", Before: cutoff}

		l, err := batch.FindCandidates(context.Background(), sb.client, c)
		if err != nil {
			t.Fatalf("FindCandidates = %v; want no error", err)
		}
		want := dormant(users, "active", nil, cutoff, false)
		if got := sorted(emailsOf(l.Candidates)); !slices.Equal(got, sorted(want)) {
			t.Errorf("FindCandidates found %d candidates; want the %d dormant users",
				len(got), len(want))
		}
		st := sb.srv.Stats()
		if l.Listed != 1000 || l.Pages != 4 || st.Lists != 4 {
			t.Errorf("FindCandidates listed %d users in %d pages (sandbox: %d lists); "+
				"want 1000 in 4", l.Listed, l.Pages, st.Lists)
		}
		// Generated users hold built-in roles, which the listing's role_id names.
		if l.Lookups != 0 || st.Gets != 0 {
			t.Errorf("FindCandidates got %d users (sandbox: %d gets); want none", l.Lookups, st.Gets)
		}
	})
}

// stallingDirectory waits stall after receiving page number at of a
// listing, on the first listings times listings (all of them when times is
// 0), as a process that is suspended or held up mid-listing would.
type stallingDirectory struct {
	batch.Directory
	at, times int
	stall     time.Duration

	listings, page int
}

func (d *stallingDirectory) ListUsers(ctx context.Context, status string, size int,
	token string) (zoom.Page, zoom.Response, error) {
	if token == "" {
		d.listings++
		d.page = 0
	}
	p, r, err := d.Directory.ListUsers(ctx, status, size, token)
	if err == nil {
		d.page++
	}
	if err == nil && d.page == d.at && (d.times == 0 || d.listings <= d.times) {
		time.Sleep(d.stall)
	}
	return p, r, err
}

func TestFindCandidatesRestartsExpiredListing(t *testing.T) {
	tests := []struct {
		name         string
		stall        time.Duration
		times        int
		wantRestarts int
		wantLists    int
		wantErr      error
	}{
		{"token still valid", 14*time.Minute + 59*time.Second, 1, 0, 4, nil},
		{"token expires once", 15 * time.Minute, 1, 1, 2 + 1 + 4, nil},
		{"token expires twice", 16 * time.Minute, 2, 2, 2*3 + 4, nil},
		{"token expires every time", time.Hour, 0, 3, 4 * 3, batch.ErrListingExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				users := zoomtest.Generate(1000)
				sb := newSandbox(t, zoomtest.Options{Users: users})
				d := &stallingDirectory{Directory: sb.client, at: 2, times: tt.times,
					stall: tt.stall}
				cutoff := time.Now().Add(-90 * day)
				c := batch.Criteria{Status: "active", Before: cutoff}

				l, err := batch.FindCandidates(context.Background(), d, c)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("FindCandidates = %v; want %v", err, tt.wantErr)
				}
				if l.Restarts != tt.wantRestarts || sb.srv.Stats().Lists != tt.wantLists {
					t.Errorf("FindCandidates restarted %d times in %d lists; want %d in %d",
						l.Restarts, sb.srv.Stats().Lists, tt.wantRestarts, tt.wantLists)
				}
				if err != nil {
					return
				}
				got := emailsOf(l.Candidates)
				want := dormant(users, "active", nil, cutoff, false)
				unique := len(slices.Compact(sorted(got))) == len(got)
				if !slices.Equal(sorted(got), sorted(want)) || !unique {
					t.Errorf("FindCandidates found %d candidates; want the %d dormant users once",
						len(got), len(want))
				}
				if l.Listed != 1000 {
					t.Errorf("FindCandidates listed %d distinct users; want 1000", l.Listed)
				}
			})
		})
	}
}

// account is a small directory with one user of each kind that the
// criteria tell apart, dated relative to now.
func account(now time.Time) []zoomtest.User {
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * day) }
	u := func(email, status, role string, typ int, login, created time.Time) zoomtest.User {
		return zoomtest.User{Email: email, Status: status, Role: role, Type: typ,
			LastLogin: login, Created: created, Dept: "Sales"}
	}
	var never time.Time
	return []zoomtest.User{
		u("owner@example.com", "active", "Owner", zoomtest.TypeLicensed, ago(200), ago(900)),
		u("admin@example.com", "active", "Admin", zoomtest.TypeLicensed, ago(200), ago(900)),
		u("old@example.com", "active", "Member", zoomtest.TypeLicensed, ago(200), ago(900)),
		u("older@example.com", "active", "Member", zoomtest.TypeLicensed, ago(300), ago(900)),
		u("mid@example.com", "active", "Member", zoomtest.TypeLicensed, ago(60), ago(900)),
		u("recent@example.com", "active", "Member", zoomtest.TypeLicensed, ago(10), ago(900)),
		u("never@example.com", "active", "Member", zoomtest.TypeLicensed, never, ago(400)),
		u("new@example.com", "active", "Member", zoomtest.TypeLicensed, never, ago(20)),
		u("basic@example.com", "active", "Member", zoomtest.TypeBasic, ago(200), ago(900)),
		u("nomeet@example.com", "active", "Member", zoomtest.TypeNoMeeting, ago(200), ago(900)),
		u("custom@example.com", "active", "Billing", zoomtest.TypeLicensed, ago(150), ago(900)),
		u("gone@example.com", "inactive", "Member", zoomtest.TypeBasic, ago(300), ago(900)),
		u("invited@example.com", "pending", "Member", zoomtest.TypeLicensed, never, ago(100)),
		u("undated@example.com", "active", "Member", zoomtest.TypeLicensed, never, never),
	}
}

func TestFindCandidatesFilters(t *testing.T) {
	licensed, basic := []int{zoom.TypeLicensed}, []int{zoom.TypeBasic}
	tests := []struct {
		name   string
		status string
		types  []int
		days   int
		admins bool
		want   []string // in the order of the output
	}{
		{"licensed, 90 days", "active", licensed, 90, false,
			[]string{"never", "older", "old", "custom"}},
		{"licensed, 30 days", "active", licensed, 30, false,
			[]string{"never", "older", "old", "custom", "mid"}},
		{"licensed, 365 days", "active", licensed, 365, false, []string{"never"}},
		{"licensed with admins", "active", licensed, 90, true,
			[]string{"never", "older", "admin", "old", "custom"}},
		{"basic", "active", basic, 90, false, []string{"basic"}},
		{"any type", "active", nil, 90, false,
			[]string{"never", "older", "basic", "nomeet", "old", "custom"}},
		{"inactive", "inactive", nil, 90, false, []string{"gone"}},
		{"inactive licensed", "inactive", licensed, 90, false, nil},
		{"pending", "pending", licensed, 90, false, []string{"invited"}},
		{"pending, 365 days", "pending", licensed, 365, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := time.Now()
				sb := newSandbox(t, zoomtest.Options{Users: account(now)})
				c := batch.Criteria{Status: tt.status, Types: tt.types,
					Before: now.Add(-time.Duration(tt.days) * day), IncludeAdmins: tt.admins}

				l, err := batch.FindCandidates(context.Background(), sb.client, c)
				if err != nil {
					t.Fatalf("FindCandidates = %v; want no error", err)
				}
				var got []string
				for _, e := range emailsOf(l.Candidates) {
					got = append(got, strings.TrimSuffix(e, "@example.com"))
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("FindCandidates(%+v) = %q; want %q", c, got, tt.want)
				}
			})
		})
	}
}

func TestFindCandidatesCountsWhatItLeavesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		sb := newSandbox(t, zoomtest.Options{Users: account(now)})
		for _, admins := range []bool{false, true} {
			c := batch.Criteria{Status: "active", Types: []int{zoom.TypeLicensed},
				Before: now.Add(-90 * day), IncludeAdmins: admins}
			l, err := batch.FindCandidates(context.Background(), sb.client, c)
			if err != nil {
				t.Fatalf("FindCandidates = %v; want no error", err)
			}
			wantAdmins := 1
			if admins {
				wantAdmins = 0
			}
			if l.Owners != 1 || l.Admins != wantAdmins || l.Undated != 1 || l.Listed != 12 {
				t.Errorf("FindCandidates(admins %v) left out %d owners, %d admins, %d undated "+
					"of %d; want 1, %d, 1 of 12", admins, l.Owners, l.Admins, l.Undated, l.Listed,
					wantAdmins)
			}
		}
	})
}

func TestFindCandidatesKeepsToMediumGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(1500)
		sb := newSandbox(t, zoomtest.Options{Plan: "free", Users: users})
		c := batch.Criteria{Status: "active", Types: []int{zoom.TypeLicensed},
			Before: time.Now().Add(-90 * day)}

		l, err := batch.FindCandidates(context.Background(), sb.client, c)
		if err != nil {
			t.Fatalf("FindCandidates = %v; want no error", err)
		}
		st := sb.srv.Stats()
		medium, light := sb.medium.Stats(), sb.light.Stats()
		if medium.Calls != 5 || st.Lists != 5 {
			t.Errorf("Medium gate let %d calls through for %d lists; want 5 for 5",
				medium.Calls, st.Lists)
		}
		if int(light.Calls) != l.Lookups || st.Gets != l.Lookups {
			t.Errorf("Light gate let %d calls through for %d gets; want only the %d lookups",
				light.Calls, st.Gets, l.Lookups)
		}
		if st.Throttled != 0 {
			t.Errorf("sandbox throttled %d calls; want 0", st.Throttled)
		}
		for i := 1; i < len(sb.lists); i++ {
			if gap := sb.lists[i].Sub(sb.lists[i-1]); gap < 500*time.Millisecond {
				t.Errorf("list %d came %v after the one before; want at least 500ms at 2/s",
					i+1, gap)
			}
		}
	})
}

func TestSortCandidates(t *testing.T) {
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(days int) time.Time { return base.Add(time.Duration(days) * day) }
	users := []zoom.User{
		{Email: "b@x.com", LastLoginTime: at(5), CreatedAt: at(-100)},
		{Email: "never-new@x.com", CreatedAt: at(-10)},
		{Email: "A@x.com", LastLoginTime: at(5), CreatedAt: at(-100)},
		{Email: "oldest@x.com", LastLoginTime: at(1), CreatedAt: at(-100)},
		{Email: "never-old@x.com", CreatedAt: at(-50)},
	}
	batch.SortCandidates(users)
	got := emailsOf(users)
	want := []string{"never-old@x.com", "never-new@x.com", "oldest@x.com", "A@x.com", "b@x.com"}
	if !slices.Equal(got, want) {
		t.Errorf("SortCandidates = %q; want %q", got, want)
	}
}

func TestWriteCandidatesIsRunInput(t *testing.T) {
	login := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	users := []zoom.User{
		{Email: "ana@example.com", ID: "zJKyaiAyTNC-MWjiWC18KQ", LastLoginTime: login,
			Type: zoom.TypeLicensed, RoleName: "Member", Dept: "Sales, EMEA"},
		{Email: "invited@example.com", Type: zoom.TypeBasic, Dept: "=HYPERLINK(\"x\")"},
	}
	var buf bytes.Buffer
	if err := batch.WriteCandidates(&buf, users, zoom.Deactivate); err != nil {
		t.Fatalf("WriteCandidates = %v; want no error", err)
	}
	wantText := "email,user_id,action,last_login_time,type,role_name,dept\n" +
		"ana@example.com,zJKyaiAyTNC-MWjiWC18KQ,deactivate,2025-01-02T02:04:05Z,Licensed,Member," +
		"\"Sales, EMEA\"\n" +
		"invited@example.com,,deactivate,,Basic,,\"'=HYPERLINK(\"\"x\"\")\"\n"
	if got := buf.String(); got != wantText {
		t.Errorf("WriteCandidates wrote\n%s\nwant\n%s", got, wantText)
	}

	in, err := batch.OpenReader(bytes.NewReader(buf.Bytes()),
		batch.ReadOptions{Name: "candidates.csv", DefaultAction: zoom.Activate})
	if err != nil {
		t.Fatalf("OpenReader(candidates) = %v; want no error", err)
	}
	defer in.Close()
	if s := in.Summary(); s.Identity.Name != "email" || s.Action.Name != "action" ||
		s.ToDeactivate != 2 {
		t.Errorf("OpenReader(candidates) read users from %q, actions from %q, %d to "+
			"deactivate; want email, action, 2", s.Identity.Name, s.Action.Name, s.ToDeactivate)
	}
	var got []string
	for row, err := range in.Rows() {
		if err != nil {
			t.Fatalf("Rows() = %v; want no error", err)
		}
		if row.Action != zoom.Deactivate || row.Outcome != "" {
			t.Errorf("row %d = %s, outcome %q; want deactivate, to send", row.Line, row.Action,
				row.Outcome)
		}
		got = append(got, row.User)
	}
	if want := emailsOf(users); !slices.Equal(got, want) {
		t.Errorf("Rows() users = %q; want %q", got, want)
	}
}

func TestFindCandidatesLooksUpCustomRolesOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(40)
		for i := range users {
			users[i].LastLogin = time.Now().Add(-200 * day)
		}
		users[3].Role, users[7].Role = "Auditor", "Auditor"
		users[5].Role = "Admin"
		sb := newSandbox(t, zoomtest.Options{Users: users})
		c := batch.Criteria{Status: "active", Before: time.Now().Add(-90 * day)}

		l, err := batch.FindCandidates(context.Background(), sb.client, c)
		if err != nil {
			t.Fatalf("FindCandidates = %v; want no error", err)
		}
		if st := sb.srv.Stats(); l.Lookups != 2 || st.Gets != 2 {
			t.Errorf("FindCandidates looked up %d roles (sandbox: %d gets); want 2, the custom ones",
				l.Lookups, st.Gets)
		}
		roles := map[string]string{}
		for _, u := range l.Candidates {
			roles[u.Email] = u.RoleName
		}
		if roles[users[3].Email] != "Auditor" || roles[users[0].Email] != "Member" {
			t.Errorf("roles = %v; want Auditor for %s and Member for %s",
				roles, users[3].Email, users[0].Email)
		}
		if _, ok := roles[users[5].Email]; ok {
			t.Errorf("admin %s is a candidate; want admins left out", users[5].Email)
		}
	})
}
