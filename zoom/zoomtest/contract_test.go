package zoomtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

// TestAnswersMatchSpec drives every answer the sandbox gives to the three
// operations through the spec checker, which fails the test on any
// departure from Zoom's OpenAPI spec.
func TestAnswersMatchSpec(t *testing.T) {
	spec := spectest.Load(t)
	capped := []zoomtest.User{
		{Email: "basic.one@example.com", Status: zoomtest.StatusActive, Type: zoomtest.TypeBasic},
		{Email: "basic.two@example.com", Status: zoomtest.StatusInactive, Type: zoomtest.TypeBasic},
	}
	tests := []struct {
		name     string
		opts     zoomtest.Options
		method   string
		path     string
		body     string
		times    int   // sends the call this many times; the last answer is checked
		want     []int // acceptable statuses
		wantCode int   // the Zoom error code, if any; -1 leaves it unchecked
	}{
		{name: "get active", method: "GET", path: "/users/dan.morris@example.com",
			want: []int{200}},
		{name: "get by id", method: "GET", path: "/users/HtB1Hh4gfwioYsgCjTcfkg", want: []int{200}},
		{name: "get pending", method: "GET", path: "/users/new.starter@example.com",
			want: []int{200}},
		{name: "get inactive", method: "GET", path: "/users/kim.park@example.com",
			want: []int{200}},
		{name: "get never signed in", method: "GET", path: "/users/bruno.bauer@example.com",
			want: []int{200}},
		{name: "get unknown", method: "GET", path: "/users/ghost@example.com", want: []int{404},
			wantCode: 1001},
		{name: "deactivate twice", method: "PUT", path: "/users/dan.morris@example.com/status",
			body: `{"action":"deactivate"}`, times: 2, want: []int{200, 204}},
		{name: "activate", method: "PUT", path: "/users/kim.park@example.com/status",
			body: `{"action":"activate"}`, want: []int{200, 204}},
		{name: "owner", method: "PUT", path: "/users/amara.okafor@example.com/status",
			body: `{"action":"deactivate"}`, want: []int{400}, wantCode: 200},
		{name: "zoom room", method: "PUT", path: "/users/boardroom@example.com/status",
			body: `{"action":"deactivate"}`, want: []int{400}, wantCode: 200},
		{name: "upcoming events", method: "PUT", path: "/users/priya.nair@example.com/status",
			body: `{"action":"deactivate"}`, want: []int{400}, wantCode: 300},
		{name: "pending", method: "PUT", path: "/users/new.starter@example.com/status",
			body: `{"action":"deactivate"}`, want: []int{400}, wantCode: 1120},
		{name: "basic cap", opts: zoomtest.Options{Users: capped, BasicCap: 1}, method: "PUT",
			path: "/users/basic.two@example.com/status", body: `{"action":"activate"}`,
			want: []int{400}, wantCode: 3412},
		{name: "status unknown user", method: "PUT", path: "/users/ghost@example.com/status",
			body: `{"action":"deactivate"}`, want: []int{404}, wantCode: 1001},
		{name: "scope missing", opts: zoomtest.Options{Scopes: []string{"meeting:read:admin"}},
			method: "PUT", path: "/users/dan.morris@example.com/status",
			body: `{"action":"deactivate"}`, want: []int{400}, wantCode: 4711},
		{name: "token expired", opts: zoomtest.Options{TokenTTL: time.Nanosecond}, method: "GET",
			path: "/users/dan.morris@example.com", want: []int{401}, wantCode: 124},
		{name: "per-second limit", opts: zoomtest.Options{LightRate: 1}, method: "PUT",
			path: "/users/dan.morris@example.com/status", body: `{"action":"deactivate"}`,
			times: 2, want: []int{429}, wantCode: 429},
		{name: "daily limit", opts: zoomtest.Options{DailyLimit: 1}, method: "GET",
			path: "/users/dan.morris@example.com", times: 2, want: []int{429}, wantCode: 429},
		{name: "bare throttle", opts: zoomtest.Options{LightRate: 1, BareThrottles: true},
			method: "GET", path: "/users/dan.morris@example.com", times: 2, want: []int{429},
			wantCode: 429},
		{name: "failures", opts: zoomtest.Options{FailRate: 1, Seed: 3}, method: "PUT",
			path: "/users/dan.morris@example.com/status", body: `{"action":"deactivate"}`,
			times: 6, want: []int{500, 503}, wantCode: -1},
		{name: "list", method: "GET", path: "/users", want: []int{200}},
		{name: "list pending", method: "GET", path: "/users?status=pending", want: []int{200}},
		{name: "list inactive page", method: "GET",
			path: "/users?status=inactive&page_size=2&page_number=2", want: []int{200}},
		{name: "list large page", method: "GET", path: "/users?page_size=300", want: []int{200}},
		{name: "list bad token", method: "GET", path: "/users?next_page_token=stale",
			want: []int{400}, wantCode: 300},
		{name: "list limit", opts: zoomtest.Options{MediumRate: 1}, method: "GET",
			path: "/users", times: 2, want: []int{429}, wantCode: 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Wrap = spec.Wrap(t)
			c := newClient(t, zoomtest.New(tt.opts))
			var a answer
			for range max(tt.times, 1) {
				a = c.do(tt.method, tt.path, tt.body)
			}
			if !slices.Contains(tt.want, a.status) {
				t.Errorf("%s %s = %d %s; want %v", tt.method, tt.path, a.status, a.body, tt.want)
			}
			if code, _ := a.zoomErr(); tt.wantCode >= 0 && code != tt.wantCode {
				t.Errorf("%s %s: code = %d; want %d", tt.method, tt.path, code, tt.wantCode)
			}
		})
	}
}

// TestMalformedStatusCalls sends status calls the spec forbids: the sandbox
// must refuse them as Zoom does, and the checker must reject them, which
// shows it can fail.
func TestMalformedStatusCalls(t *testing.T) {
	spec := spectest.Load(t)
	tests := []struct {
		name, body, ctype string
		wantCode          int
	}{
		{"missing action", `{}`, "application/json", 300},
		{"unknown action", `{"action":"sack"}`, "application/json", 300},
		{"form body", "action=deactivate", "application/x-www-form-urlencoded", 300},
		{"not an object", `["deactivate"]`, "application/json", 300},
		{"broken JSON", `{"action":`, "application/json", 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := zoomtest.New(zoomtest.Options{})
			c := newClient(t, s)
			path := "/users/dan.morris@example.com/status"
			req, err := http.NewRequest(http.MethodPut, s.APIURL()+path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.ctype)
			if err := spec.CheckRequest(req); err == nil {
				t.Errorf("CheckRequest(%s %q) = nil; want an error", tt.ctype, tt.body)
			}
			a := c.doAs(c.token, http.MethodPut, path, tt.body, tt.ctype)
			if code, _ := a.zoomErr(); a.status != 400 || code != tt.wantCode {
				t.Errorf("PUT %q = %d code %d; want 400 code %d",
					tt.body, a.status, code, tt.wantCode)
			}
			if err := spec.CheckResponse(req, a.status, a.header, a.body); err != nil {
				t.Errorf("CheckResponse: %v", err)
			}
			if u, _ := s.User("dan.morris@example.com"); u.Status != zoomtest.StatusActive {
				t.Errorf("after a refused call, status = %s; want active", u.Status)
			}
		})
	}
}

// TestListPagesMatchSpec walks every status's listing page by page under the
// checker, including a token that outlived its 15 minutes.
func TestListPagesMatchSpec(t *testing.T) {
	spec := spectest.Load(t)
	synctest.Test(t, func(t *testing.T) {
		s := zoomtest.New(zoomtest.Options{Wrap: spec.Wrap(t), TokenTTL: 24 * time.Hour})
		c := newClient(t, s)
		for _, status := range []string{"active", "inactive", "pending"} {
			q := url.Values{"status": {status}, "page_size": {"4"}}
			for page := 0; ; page++ {
				a := c.do(http.MethodGet, "/users?"+q.Encode(), "")
				var p struct {
					NextPageToken string `json:"next_page_token"`
				}
				if err := json.Unmarshal(a.body, &p); a.status != 200 || err != nil {
					t.Fatalf("list %s page %d = %d %s", status, page, a.status, a.body)
				}
				if p.NextPageToken == "" {
					break
				}
				q = url.Values{"next_page_token": {p.NextPageToken}, "page_size": {"4"}}
				if page == 0 && status == "active" {
					time.Sleep(16 * time.Minute)
					stale := c.do(http.MethodGet, "/users?"+q.Encode(), "")
					if code, _ := stale.zoomErr(); stale.status != 400 || code != 300 {
						t.Errorf("stale page token = %d code %d; want 400 code 300",
							stale.status, code)
					}
					break
				}
			}
		}
	})
}
