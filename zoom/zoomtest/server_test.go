package zoomtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/offboard/offboard/zoom/zoomtest"
)

func TestStatusChanges(t *testing.T) {
	tests := []struct {
		name, user, action string
		wantStatus         int // 0 means any 2xx
		wantCode           int
		wantAfter          string
	}{
		{"deactivate member", "dan.morris@example.com", "deactivate", 0, 0, "inactive"},
		{"activate inactive", "kim.park@example.com", "activate", 0, 0, "active"},
		{"by id", "HtB1Hh4gfwioYsgCjTcfkg", "deactivate", 0, 0, "inactive"},
		{"address in capitals", "DAN.MORRIS%40EXAMPLE.COM", "deactivate", 0, 0, "inactive"},
		{"plus sent as %2B", "lee%2Bzoom@example.com", "deactivate", 0, 0, "inactive"},
		{"bare plus reads as space", "lee+zoom@example.com", "deactivate", 404, 1001, "active"},
		{"custom role", "auditor.kaur@example.com", "deactivate", 0, 0, "inactive"},
		{"already inactive", "kim.park@example.com", "deactivate", 0, 0, "inactive"},
		{"owner", "amara.okafor@example.com", "deactivate", 400, 200, "active"},
		{"admin", "ben.hughes@example.com", "deactivate", 400, 200, "active"},
		{"zoom room", "boardroom@example.com", "deactivate", 400, 200, "active"},
		{"upcoming events", "priya.nair@example.com", "deactivate", 400, 300, "active"},
		{"activate host of events", "priya.nair@example.com", "activate", 0, 0, "active"},
		{"pending", "new.starter@example.com", "deactivate", 400, 1120, "pending"},
		{"unknown", "ghost@example.com", "deactivate", 404, 1001, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := zoomtest.New(zoomtest.Options{})
			c := newClient(t, s)
			a := c.do(http.MethodPut, "/users/"+tt.user+"/status", `{"action":"`+tt.action+`"}`)
			code, _ := a.zoomErr()
			if tt.wantStatus == 0 && !is2xx(a.status) || tt.wantStatus != 0 &&
				(a.status != tt.wantStatus || code != tt.wantCode) {
				t.Errorf("%s %s = %d code %d; want %d code %d", tt.action, tt.user, a.status, code,
					tt.wantStatus, tt.wantCode)
			}
			if is2xx(a.status) && len(a.body) != 0 {
				t.Errorf("%s %s: body %q; want none", tt.action, tt.user, a.body)
			}
			u, _ := s.User(strings.ReplaceAll(strings.ReplaceAll(tt.user, "%40", "@"), "%2B", "+"))
			if u.Status != tt.wantAfter {
				t.Errorf("after %s %s, status = %q; want %q", tt.action, tt.user, u.Status,
					tt.wantAfter)
			}
		})
	}
}

func TestUnknownUserMessage(t *testing.T) {
	c := newClient(t, zoomtest.New(zoomtest.Options{}))
	a := c.get("ghost@example.com")
	if _, msg := a.zoomErr(); msg != "User does not exist: ghost@example.com." {
		t.Errorf("get unknown user: message = %q; want %q", msg,
			"User does not exist: ghost@example.com.")
	}
}

// TestDeactivationRemovesLicence checks that a reactivated user comes back
// Basic, and that the Basic cap then counts the user.
func TestDeactivationRemovesLicence(t *testing.T) {
	users := []zoomtest.User{
		{Email: "lic@example.com", Status: zoomtest.StatusActive, Type: zoomtest.TypeLicensed},
		{Email: "basic@example.com", Status: zoomtest.StatusActive, Type: zoomtest.TypeBasic},
	}
	s := zoomtest.New(zoomtest.Options{Users: users, BasicCap: 1})
	c := newClient(t, s)
	if a := c.deactivate("lic@example.com"); !is2xx(a.status) {
		t.Fatalf("deactivate = %d %s; want 2xx", a.status, a.body)
	}
	if u, _ := s.User("lic@example.com"); u.Type != zoomtest.TypeBasic {
		t.Errorf("after deactivation, type = %d; want %d", u.Type, zoomtest.TypeBasic)
	}
	a := c.activate("lic@example.com")
	if code, _ := a.zoomErr(); a.status != 400 || code != 3412 {
		t.Errorf("activate past the Basic cap = %d code %d; want 400 code 3412", a.status, code)
	}
	if a := c.deactivate("basic@example.com"); !is2xx(a.status) {
		t.Fatalf("deactivate = %d %s; want 2xx", a.status, a.body)
	}
	if a := c.activate("lic@example.com"); !is2xx(a.status) {
		t.Errorf("activate under the Basic cap = %d %s; want 2xx", a.status, a.body)
	}
}

func TestSuccessAlternates200And204(t *testing.T) {
	c := newClient(t, zoomtest.New(zoomtest.Options{}))
	seen := map[int]bool{}
	for _, u := range []string{"dan.morris@example.com", "eva.lindqvist@example.com"} {
		seen[c.deactivate(u).status] = true
	}
	if !seen[200] || !seen[204] {
		t.Errorf("two successful status calls answered %v; want 200 and 204", seen)
	}
}

func TestGetUser(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{})
	c := newClient(t, s)
	var u struct {
		ID, Email, Status, RoleName string
		Type                        int
		LastLoginTime               string `json:"last_login_time"`
		RoleNameJSON                string `json:"role_name"`
	}
	a := c.get("dan.morris@example.com")
	if err := json.Unmarshal(a.body, &u); a.status != 200 || err != nil {
		t.Fatalf("get user = %d %s (%v)", a.status, a.body, err)
	}
	want, _ := s.User("dan.morris@example.com")
	if u.ID != want.ID || u.Status != "active" || u.Type != 2 || u.RoleNameJSON != "Member" ||
		u.LastLoginTime == "" {
		t.Errorf("get user = %s; want id %s, active, type 2, Member, a last login",
			a.body, want.ID)
	}
	if got := a.header.Get("x-zm-trackingid"); got == "" {
		t.Error("get user: no x-zm-trackingid header")
	}
}

func TestListUsersPendingHaveNoID(t *testing.T) {
	c := newClient(t, zoomtest.New(zoomtest.Options{}))
	a := c.do(http.MethodGet, "/users?status=pending", "")
	var p struct {
		TotalRecords int `json:"total_records"`
		Users        []map[string]any
	}
	if err := json.Unmarshal(a.body, &p); err != nil || p.TotalRecords == 0 {
		t.Fatalf("list pending = %d %s (%v); want some users", a.status, a.body, err)
	}
	for _, u := range p.Users {
		if _, ok := u["id"]; ok || u["status"] != "pending" {
			t.Errorf("pending user listed as %v; want status pending and no id", u)
		}
	}
}

func TestListUsersPaging(t *testing.T) {
	users := zoomtest.Generate(650)
	c := newClient(t, zoomtest.New(zoomtest.Options{Users: users}))
	tests := []struct {
		query     string
		wantSizes []int
	}{
		{"", []int{30}},
		{"?page_size=300", []int{300, 300, 50}},
		{"?page_size=5000", []int{300, 300, 50}},
		{"?page_size=200&page_number=4", []int{50}},
	}
	for _, tt := range tests {
		var sizes []int
		seen := map[string]bool{}
		for q := tt.query; ; {
			a := c.do(http.MethodGet, "/users"+q, "")
			var p struct {
				NextPageToken string `json:"next_page_token"`
				PageSize      int    `json:"page_size"`
				Users         []struct{ Email string }
			}
			if err := json.Unmarshal(a.body, &p); a.status != 200 || err != nil {
				t.Fatalf("list %s = %d %s", q, a.status, a.body)
			}
			sizes = append(sizes, len(p.Users))
			for _, u := range p.Users {
				if seen[u.Email] {
					t.Errorf("list %s: %s listed twice", tt.query, u.Email)
				}
				seen[u.Email] = true
			}
			if p.NextPageToken == "" || tt.query == "" {
				break
			}
			q = "?page_size=300&next_page_token=" + p.NextPageToken
		}
		if !equalInts(sizes, tt.wantSizes) {
			t.Errorf("list %s: page sizes %v; want %v", tt.query, sizes, tt.wantSizes)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRateLimit checks the account-wide Light bucket: one second's burst,
// shared by gets and status changes, refilled at the plan's rate, and apart
// from the Medium bucket.
func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := zoomtest.New(zoomtest.Options{Plan: "pro"})
		c := newClient(t, s)
		ok, throttled := 0, []answer{}
		for i := range 40 {
			var a answer
			if i%2 == 0 {
				a = c.get("dan.morris@example.com")
			} else {
				a = c.do(http.MethodPut, "/users/jo.walsh@example.com/status",
					`{"action":"activate"}`)
			}
			if a.status == 429 {
				throttled = append(throttled, a)
			} else {
				ok++
			}
		}
		if ok != 30 {
			t.Errorf("40 Light calls at once: %d admitted; want 30", ok)
		}
		a := throttled[0]
		for h, want := range map[string]string{"X-RateLimit-Category": "Light",
			"X-RateLimit-Type": "QPS", "X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "0",
			"Retry-After": ""} {
			if got := a.header.Get(h); got != want {
				t.Errorf("per-second 429: %s = %q; want %q", h, got, want)
			}
		}
		if code, msg := a.zoomErr(); code != 429 || !strings.Contains(msg, "per-second") {
			t.Errorf("per-second 429 body = %s; want code 429 and a per-second message", a.body)
		}
		if a := c.do(http.MethodGet, "/users", ""); a.status != 200 {
			t.Errorf("list with Light exhausted = %d; want 200 from the Medium bucket", a.status)
		}
		time.Sleep(time.Second)
		if a := c.get("dan.morris@example.com"); a.status != 200 {
			t.Errorf("get after a second = %d; want 200", a.status)
		}
		if got := s.Stats().Throttled; got != len(throttled) {
			t.Errorf("Stats().Throttled = %d; want %d", got, len(throttled))
		}
	})
}

// TestBackgroundRate checks that another app's traffic leaves the rest of
// the rate: 30/s less 20/s.
func TestBackgroundRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient(t, zoomtest.New(zoomtest.Options{BackgroundRate: 20}))
		admitted := 0
		for range 1000 { // one call every 10ms for 10s
			if c.get("dan.morris@example.com").status == 200 {
				admitted++
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A full bucket of 30, then 10/s for 10s.
		if admitted < 125 || admitted > 135 {
			t.Errorf("admitted %d calls in 10s beside 20/s of background; want about 130",
				admitted)
		}
	})
}

func TestDailyLimit(t *testing.T) {
	tests := []struct {
		name     string
		opts     zoomtest.Options
		wantType string
		bare     bool
	}{
		{"headers", zoomtest.Options{}, "Daily-limit", false},
		{"without type", zoomtest.Options{DailyWithoutType: true}, "", false},
		{"bare", zoomtest.Options{BareThrottles: true}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tt.opts.Plan, tt.opts.DailyLimit, tt.opts.TokenTTL = "free", 5, 48*time.Hour
				time.Sleep(20 * time.Hour) // the bubble starts at midnight UTC
				c := newClient(t, zoomtest.New(tt.opts))
				for range 5 {
					if a := c.get("dan.morris@example.com"); a.status != 200 {
						t.Fatalf("get within the daily cap = %d %s", a.status, a.body)
					}
					time.Sleep(time.Second)
				}
				a := c.get("dan.morris@example.com")
				if _, msg := a.zoomErr(); a.status != 429 || !strings.Contains(msg, "daily") {
					t.Fatalf("get over the daily cap = %d %s; want a daily 429", a.status, a.body)
				}
				checkDailyHeaders(t, a, tt.wantType, tt.bare)
				time.Sleep(4 * time.Hour)
				if a := c.get("dan.morris@example.com"); a.status != 200 {
					t.Errorf("get after midnight UTC = %d %s; want 200", a.status, a.body)
				}
			})
		})
	}
}

func checkDailyHeaders(t *testing.T, a answer, wantType string, bare bool) {
	t.Helper()
	next := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).Format(time.RFC3339)
	want := map[string]string{"X-RateLimit-Type": wantType, "Retry-After": next,
		"X-RateLimit-Category": "Light", "X-RateLimit-Limit": "5"}
	if bare {
		want = map[string]string{"X-RateLimit-Type": "", "Retry-After": "",
			"X-RateLimit-Category": "", "X-RateLimit-Limit": ""}
	}
	for h, w := range want {
		if got := a.header.Get(h); got != w {
			t.Errorf("daily 429: %s = %q; want %q", h, got, w)
		}
	}
}

func TestFreePlanDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient(t, zoomtest.New(zoomtest.Options{Plan: "free"}))
		ok := 0
		for range 10 {
			if c.get("dan.morris@example.com").status == 200 {
				ok++
			}
		}
		if ok != 4 {
			t.Errorf("free plan: %d of 10 calls at once admitted; want 4", ok)
		}
	})
}

func TestConcurrentCallsOnOneUser(t *testing.T) {
	tests := []struct {
		name         string
		users        [2]string
		wantRefusals int
	}{
		{"same user", [2]string{"dan.morris@example.com", "dan.morris@example.com"}, 1},
		{"same user by id and address", [2]string{"dan.morris@example.com",
			"HtB1Hh4gfwioYsgCjTcfkg"}, 1},
		{"different users", [2]string{"dan.morris@example.com", "eva.lindqvist@example.com"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newClient(t, zoomtest.New(zoomtest.Options{Latency: 100 * time.Millisecond}))
				var answers [2]answer
				var wg sync.WaitGroup
				for i, u := range tt.users {
					wg.Go(func() { answers[i] = c.deactivate(u) })
				}
				wg.Wait()
				refusals := 0
				for _, a := range answers {
					_, msg := a.zoomErr()
					if a.status == 429 && msg == "Too many concurrent requests." {
						refusals++
					} else if !is2xx(a.status) {
						t.Errorf("deactivate = %d %s; want 2xx or a concurrency 429",
							a.status, a.body)
					}
				}
				if refusals != tt.wantRefusals {
					t.Errorf("%d concurrency refusals; want %d", refusals, tt.wantRefusals)
				}
			})
		})
	}
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient(t, zoomtest.New(zoomtest.Options{Latency: time.Second}))
		for range 20 {
			start := time.Now()
			c.get("dan.morris@example.com")
			if d := time.Since(start); d < 500*time.Millisecond || d > 1500*time.Millisecond {
				t.Errorf("a call took %v; want between 0.5s and 1.5s", d)
			}
		}
	})
}

func TestCancelDuringLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := zoomtest.New(zoomtest.Options{Latency: time.Hour})
		c := newClient(t, s)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
			s.APIURL()+"/users/dan.morris@example.com", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		start := time.Now()
		_, err := c.http.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Errorf("call cancelled after 1s = %v after %v; want DeadlineExceeded after 1s",
				err, time.Since(start))
		}
	})
}

func TestTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := zoomtest.New(zoomtest.Options{})
		c := newClient(t, s)
		second := c.fetchToken()
		for _, tok := range []string{c.token, second} {
			if a := c.doAs(tok, "GET", "/users/dan.morris@example.com", "", ""); a.status != 200 {
				t.Errorf("get with a live token = %d; want 200 (tokens do not replace others)",
					a.status)
			}
		}
		time.Sleep(time.Hour)
		a := c.get("dan.morris@example.com")
		if code, _ := a.zoomErr(); a.status != 401 || code != 124 {
			t.Errorf("get after the token's hour = %d code %d; want 401 code 124", a.status, code)
		}
		if a := c.doAs("", "GET", "/users/dan.morris@example.com", "", ""); a.status != 401 {
			t.Errorf("get without a token = %d; want 401", a.status)
		}
		if got := s.Stats().TokensIssued; got != 2 {
			t.Errorf("Stats().TokensIssued = %d; want 2", got)
		}
	})
}

func TestTokenReplacesPrevious(t *testing.T) {
	c := newClient(t, zoomtest.New(zoomtest.Options{TokenReplacesPrevious: true}))
	first := c.token
	c.token = c.fetchToken()
	if a := c.doAs(first, "GET", "/users/dan.morris@example.com", "", ""); a.status != 401 {
		t.Errorf("get with a replaced token = %d; want 401", a.status)
	}
	if a := c.get("dan.morris@example.com"); a.status != 200 {
		t.Errorf("get with the new token = %d; want 200", a.status)
	}
}

func TestTokenAnswer(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{TokenTTL: 30 * time.Minute})
	c := &client{t: t, s: s, http: &http.Client{Transport: s.Transport()}}
	a := c.tokenRequest(s.Credentials(), formFor(s), "")
	var tok map[string]any
	if err := json.Unmarshal(a.body, &tok); err != nil {
		t.Fatalf("token answer %s: %v", a.body, err)
	}
	want := map[string]any{"token_type": "bearer", "expires_in": 1800.0,
		"scope": "user:read:admin user:write:admin", "api_url": s.URL()}
	for k, w := range want {
		if tok[k] != w {
			t.Errorf("token answer %s = %v; want %v", k, tok[k], w)
		}
	}
}

func formFor(s *zoomtest.Server) map[string][]string {
	return map[string][]string{"grant_type": {"account_credentials"},
		"account_id": {s.Credentials().AccountID}}
}

func TestTokenRefusals(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{})
	c := &client{t: t, s: s, http: &http.Client{Transport: s.Transport()}}
	good := s.Credentials()
	wrong := good
	wrong.ClientSecret = "not-the-secret"
	tests := []struct {
		name                string
		creds               zoomtest.Credentials
		form                map[string][]string
		query               string
		wantStatus          int
		wantError           string
		wantReasonSubstring string
	}{
		{"wrong secret", wrong, formFor(s), "", 401, "invalid_client", "client_secret"},
		{"query string", good, nil, "grant_type=account_credentials&account_id=" + good.AccountID,
			400, "invalid_request", ""},
		{"wrong grant", good, map[string][]string{"grant_type": {"client_credentials"},
			"account_id": {good.AccountID}}, "", 400, "unsupported_grant_type", ""},
		{"wrong account", good, map[string][]string{"grant_type": {"account_credentials"},
			"account_id": {"other"}}, "", 400, "invalid_request", "account_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.tokenRequest(tt.creds, tt.form, tt.query)
			var e struct{ Reason, Error string }
			_ = json.Unmarshal(a.body, &e)
			if a.status != tt.wantStatus || e.Error != tt.wantError ||
				!strings.Contains(e.Reason, tt.wantReasonSubstring) {
				t.Errorf("token request = %d %s; want %d %s", a.status, a.body, tt.wantStatus,
					tt.wantError)
			}
			if strings.Contains(string(a.body), good.ClientSecret) {
				t.Errorf("token refusal %s reveals the secret", a.body)
			}
		})
	}
	if got := s.Stats().TokensIssued; got != 0 {
		t.Errorf("Stats().TokensIssued = %d; want 0", got)
	}
}

func TestFailures(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{FailRate: 1, Seed: 7})
	c := newClient(t, s)
	kinds := map[string]bool{}
	for range 20 {
		a := c.deactivate("dan.morris@example.com")
		if a.status != 500 && a.status != 503 {
			t.Fatalf("deactivate with FailRate 1 = %d; want 500 or 503", a.status)
		}
		kinds[a.header.Get("Content-Type")] = true
	}
	if len(kinds) != 2 {
		t.Errorf("failures had content types %v; want JSON and HTML", kinds)
	}
	if u, _ := s.User("dan.morris@example.com"); u.Status != "active" {
		t.Errorf("after failed calls, status = %s; want active", u.Status)
	}
	if got := s.Stats().Failures; got != 20 {
		t.Errorf("Stats().Failures = %d; want 20", got)
	}
}

// TestResetsThroughTransport checks that dropped connections are transport
// errors and that about half of them still took effect.
func TestResetsThroughTransport(t *testing.T) {
	users := zoomtest.Generate(40)
	s := zoomtest.New(zoomtest.Options{Users: users, ResetRate: 1, Seed: 11, LightRate: 1000})
	c := newClient(t, s)
	for _, u := range users {
		req, _ := http.NewRequest(http.MethodPut, s.APIURL()+"/users/"+u.Email+"/status",
			strings.NewReader(`{"action":"deactivate"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.token)
		if _, err := c.http.Do(req); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("status call with ResetRate 1: error %v; want ECONNRESET", err)
		}
	}
	st := s.Stats()
	applied := 0
	for _, u := range users {
		if st.Users[u.Email].Status == "inactive" {
			applied++
		}
	}
	if applied < 10 || applied > 30 || st.Resets != len(users) {
		t.Errorf("%d of %d dropped calls took effect, %d resets counted; want about half and %d",
			applied, len(users), st.Resets, len(users))
	}
}

func TestResetOnListener(t *testing.T) {
	s, err := zoomtest.Start("127.0.0.1:0", zoomtest.Options{ResetRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &client{t: t, s: s, http: &http.Client{}}
	c.token = c.fetchToken()
	req, _ := http.NewRequest(http.MethodGet, s.APIURL()+"/users/dan.morris@example.com", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("get with ResetRate 1 over a socket = %d; want a dropped connection",
			resp.StatusCode)
	}
}

func TestStatsEndpoint(t *testing.T) {
	s, err := zoomtest.Start("localhost:0", zoomtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &client{t: t, s: s, http: &http.Client{}}
	c.token = c.fetchToken()
	c.deactivate("dan.morris@example.com")
	c.deactivate("dan.morris@example.com")
	c.get("dan.morris@example.com")

	resp, err := http.Get(s.URL() + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st zoomtest.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode stats: %v", err)
	}
	dan := st.Users["dan.morris@example.com"]
	want := zoomtest.UserStats{Status: "inactive", StatusCalls: 2, RedundantStatusCalls: 1}
	if dan != want || st.Requests["PUT"] != 2 || st.Requests["GET"] != 1 ||
		st.Requests["POST"] != 1 || st.Gets != 1 || st.TokensIssued != 1 {
		t.Errorf("stats = %+v, dan %+v; want 2 PUT, 1 GET, 1 POST, dan %+v", st, dan, want)
	}
}

func TestStartRefusesOtherAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.168.1.10:0", "[::]:0",
		"example.com:80", "169.254.169.254:80"} {
		s, err := zoomtest.Start(addr, zoomtest.Options{})
		if !errors.Is(err, zoomtest.ErrNotLoopback) {
			if s != nil {
				s.Close()
			}
			t.Errorf("Start(%q) = %v; want ErrNotLoopback", addr, err)
		}
	}
}

func TestTransportRefusesOtherHosts(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{})
	for _, u := range []string{"https://api.zoom.us/v2/users", "http://127.0.0.1:9/v2/users"} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if resp, err := s.Transport().RoundTrip(req); err == nil {
			resp.Body.Close()
			t.Errorf("Transport().RoundTrip(%s) succeeded; want an error", u)
		}
	}
}

func TestUnknownEndpoint(t *testing.T) {
	c := newClient(t, zoomtest.New(zoomtest.Options{}))
	for _, p := range []string{"/meetings", "/users/x/settings", "/users//status"} {
		a := c.do(http.MethodGet, p, "")
		if code, _ := a.zoomErr(); a.status != 404 || code != 2300 {
			t.Errorf("GET %s = %d code %d; want 404 code 2300", p, a.status, code)
		}
	}
	if a := c.do(http.MethodDelete, "/users/dan.morris@example.com", ""); a.status != 404 {
		t.Errorf("DELETE user = %d; want 404: not simulated", a.status)
	}
}

// TestClientCredentials checks that golang.org/x/oauth2's client-credentials
// flow, set up for Zoom's account_credentials grant, works with the sandbox.
func TestClientCredentials(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{})
	creds := s.Credentials()
	cfg := clientcredentials.Config{
		ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, TokenURL: s.TokenURL(),
		AuthStyle: oauth2.AuthStyleInHeader,
		EndpointParams: url.Values{"grant_type": {"account_credentials"},
			"account_id": {creds.AccountID}},
	}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient,
		&http.Client{Transport: s.Transport()})
	resp, err := cfg.Client(ctx).Get(s.APIURL() + "/users/dan.morris@example.com")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("get through clientcredentials = %d; want 200", resp.StatusCode)
	}
}
