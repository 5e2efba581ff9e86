package spectest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

const api = "http://zoom.sandbox/v2"

func newRequest(t *testing.T, method, path, ctype, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, api+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

func TestCheckRequest(t *testing.T) {
	spec := spectest.Load(t)
	tests := []struct {
		name, method, path, ctype, body string
		wantErr                         bool
	}{
		{"deactivate", "PUT", "/users/a%2Bb@example.com/status", "application/json",
			`{"action":"deactivate"}`, false},
		{"missing action", "PUT", "/users/x/status", "application/json", `{}`, true},
		{"action not in enum", "PUT", "/users/x/status", "application/json",
			`{"action":"sack"}`, true},
		{"wrong content type", "PUT", "/users/x/status", "text/plain",
			`{"action":"deactivate"}`, true},
		{"no body", "PUT", "/users/x/status", "", "", true},
		{"get user", "GET", "/users/x", "", "", false},
		{"list", "GET", "/users?status=inactive&page_size=300", "", "", false},
		{"list bad status", "GET", "/users?status=gone", "", "", true},
		{"list bad page size", "GET", "/users?page_size=many", "", "", true},
		{"unknown path", "GET", "/nothing/here", "", "", true},
		{"method not in spec", "POST", "/users/x/status", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, tt.path, tt.ctype, tt.body)
			err := spec.CheckRequest(req)
			if (err != nil) != tt.wantErr {
				t.Errorf("CheckRequest(%s %s %q) = %v; want error %v",
					tt.method, tt.path, tt.body, err, tt.wantErr)
			}
			if tt.body == "" {
				return
			}
			if rest, _ := io.ReadAll(req.Body); string(rest) != tt.body {
				t.Errorf("after CheckRequest, body = %q; want %q", rest, tt.body)
			}
		})
	}
}

func TestCheckResponse(t *testing.T) {
	spec := spectest.Load(t)
	jsonType := http.Header{"Content-Type": {"application/json;charset=UTF-8"}}
	user := `{"id":"z1","email":"a@example.com","type":2,"status":"active",` +
		`"last_login_time":"2025-01-02T03:04:05Z"}`
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		wantErr            bool
	}{
		{"user", "GET", "/users/x", 200, jsonType, user, false},
		{"user without type", "GET", "/users/x", 200, jsonType, `{"id":"z1"}`, true},
		{"user type out of enum", "GET", "/users/x", 200, jsonType, `{"type":3}`, true},
		{"user bad time", "GET", "/users/x", 200, jsonType,
			`{"type":1,"last_login_time":"yesterday"}`, true},
		{"user as text", "GET", "/users/x", 200, http.Header{"Content-Type": {"text/plain"}},
			user, true},
		{"list", "GET", "/users", 200, jsonType,
			`{"page_size":30,"total_records":1,"users":[{"email":"a@example.com","type":1}]}`,
			false},
		{"list user without email", "GET", "/users", 200, jsonType,
			`{"users":[{"type":1}]}`, true},
		{"status 200", "PUT", "/users/x/status", 200, nil, "", false},
		{"status 204", "PUT", "/users/x/status", 204, nil, "", false},
		{"get 204", "GET", "/users/x", 204, nil, "", true},
		{"undocumented status", "PUT", "/users/x/status", 409, nil, "", true},
		{"zoom error", "PUT", "/users/x/status", 404, jsonType,
			`{"code":1001,"message":"User does not exist: x."}`, false},
		{"error without code", "PUT", "/users/x/status", 400, jsonType,
			`{"message":"no"}`, true},
		{"gateway page", "PUT", "/users/x/status", 503,
			http.Header{"Content-Type": {"text/html"}}, "<html></html>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, tt.path, "", "")
			err := spec.CheckResponse(req, tt.status, tt.header, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Errorf("CheckResponse(%d %s) = %v; want error %v", tt.status, tt.body, err,
					tt.wantErr)
			}
		})
	}
}

// recordingTB is a testing.TB that keeps what Errorf reports.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}

func TestWrap(t *testing.T) {
	spec := spectest.Load(t)
	tests := []struct {
		name, path, body string
		wantReports      int
	}{
		{"valid", "/v2/users/x", `{"type":1,"email":"a@example.com"}`, 0},
		{"invalid response", "/v2/users/x", `{"type":"basic"}`, 1},
		{"outside the API", "/oauth/token", `{"type":"basic"}`, 0},
		{"unknown operation", "/v2/meetings", `{}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			h := spec.Wrap(rec)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.body)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://zoom.sandbox"+tt.path, nil))
			if len(rec.errors) != tt.wantReports {
				t.Errorf("Wrap reported %q; want %d reports", rec.errors, tt.wantReports)
			}
			if w.Body.String() != tt.body {
				t.Errorf("Wrap passed on body %q; want %q", w.Body, tt.body)
			}
		})
	}
}
