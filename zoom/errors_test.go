package zoom

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 30, 22, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name, in string
		want     time.Time
		wantErr  bool
	}{
		{"delta seconds", "120", now.Add(2 * time.Minute).UTC(), false},
		{"zero seconds", "0", now.UTC(), false},
		{
			"http date",
			"Sun, 31 May 2020 00:00:00 GMT",
			time.Date(2020, 5, 31, 0, 0, 0, 0, time.UTC),
			false,
		},
		{
			"rfc 3339 utc",
			"2020-05-31T00:00:00Z",
			time.Date(2020, 5, 31, 0, 0, 0, 0, time.UTC),
			false,
		},
		{
			"rfc 3339 offset",
			"2020-05-31T02:00:00+02:00",
			time.Date(2020, 5, 31, 0, 0, 0, 0, time.UTC),
			false,
		},
		{
			"no zone is utc",
			"2020-05-31T00:00:00",
			time.Date(2020, 5, 31, 0, 0, 0, 0, time.UTC),
			false,
		},
		{"empty", "", time.Time{}, true},
		{"junk", "soon", time.Time{}, true},
		{"negative", "-5", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRetryAfter(tt.in, now)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Fatalf(
					"parseRetryAfter(%q) = %v, %v; want %v, error %v",
					tt.in,
					got,
					err,
					tt.want,
					tt.wantErr,
				)
			}
			if err == nil && got.Location() != time.UTC {
				t.Errorf("parseRetryAfter(%q) location = %v; want UTC", tt.in, got.Location())
			}
		})
	}
}

// response builds a response to a request, as a server would send it.
func response(status int, header http.Header, body string) *http.Response {
	rec := httptest.NewRecorder()
	for k, v := range header {
		rec.Header()[k] = v
	}
	rec.WriteHeader(status)
	io.WriteString(rec, body)
	resp := rec.Result()
	resp.Request = httptest.NewRequest(
		http.MethodPut,
		"https://api.zoom.us/v2/users/a@b.c/status",
		nil,
	)
	return resp
}

func TestCheckResponse(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   int
		wantMsg    string
		wantTracks string
	}{
		{
			"zoom error",
			404,
			`{"code":1001,"message":"User does not exist: a@b.c."}`,
			1001,
			"User does not exist: a@b.c.",
			"t-1",
		},
		{
			"extra fields",
			400,
			`{"code":300,"message":"Bad","errors":[{"field":"action"}]}`,
			300,
			"Bad",
			"t-1",
		},
		{"html body", 502, `<html>Bad Gateway</html>`, 0, "Bad Gateway", "t-1"},
		{"empty body", 500, ``, 0, "Internal Server Error", "t-1"},
		{"json of another shape", 400, `["x"]`, 0, "Bad Request", "t-1"},
		{"code as string", 400, `{"code":"300"}`, 0, "Bad Request", "t-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"X-Zm-Trackingid": {"t-1"}}
			err := checkResponse(response(tt.status, h, tt.body), time.Now())
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("checkResponse() = %T %v; want *Error", err, err)
			}
			if e.HTTPStatus != tt.status || e.Code != tt.wantCode || e.Message != tt.wantMsg ||
				e.TrackingID != tt.wantTracks {
				t.Errorf("checkResponse() = %+v; want status %d, code %d, message %q, tracking %q",
					e, tt.status, tt.wantCode, tt.wantMsg, tt.wantTracks)
			}
			if e.Method != http.MethodPut || !strings.Contains(e.URL, "/users/") {
				t.Errorf(
					"checkResponse() method, url = %q, %q; want the request's",
					e.Method,
					e.URL,
				)
			}
		})
	}
	if err := checkResponse(response(204, nil, ""), time.Now()); err != nil {
		t.Errorf("checkResponse(204) = %v; want nil", err)
	}
}

// Zoom's bodies for its two rate limits.
const (
	perSecondBody = `{"code":429,"message":"You have reached the maximum per-second rate limit."}`
	dailyBody     = `{"code":429,"message":"You have reached the maximum daily rate limit."}`
)

func TestRateLimitKinds(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	midnight := "2026-12-04T00:00:00Z"
	tests := []struct {
		name     string
		header   http.Header
		body     string
		wantKind string
		wantAt   string
	}{
		{"per second with headers",
			http.Header{"X-Ratelimit-Type": {"QPS"}, "X-Ratelimit-Category": {"Light"}},
			perSecondBody, LimitPerSecond, ""},
		{"no headers at all", nil, ``, LimitPerSecond, ""},
		{"daily with headers",
			http.Header{"X-Ratelimit-Type": {"Daily-limit"}, "Retry-After": {midnight}},
			dailyBody, LimitDaily, midnight},
		{"daily told by the message only", nil,
			dailyBody, LimitDaily, ""},
		{
			"daily told by a far retry-after",
			http.Header{"Retry-After": {midnight}},
			``,
			LimitDaily,
			midnight,
		},
		{
			"short retry-after is per second",
			http.Header{"Retry-After": {"2"}},
			``,
			LimitPerSecond,
			"2026-12-03T15:00:02Z",
		},
		{
			"concurrent",
			nil,
			`{"code":429,"message":"Too many concurrent requests."}`,
			LimitConcurrent,
			"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkResponse(response(429, tt.header, tt.body), now)
			rl, ok := err.(*RateLimitError)
			if !ok {
				t.Fatalf("checkResponse(429) = %T; want *RateLimitError", err)
			}
			at := ""
			if !rl.RetryAt.IsZero() {
				at = rl.RetryAt.Format(time.RFC3339)
			}
			if rl.Kind != tt.wantKind || at != tt.wantAt {
				t.Errorf(
					"checkResponse(429) kind, retry at = %q, %q; want %q, %q",
					rl.Kind,
					at,
					tt.wantKind,
					tt.wantAt,
				)
			}
			if rl.Err.HTTPStatus != 429 {
				t.Errorf("HTTPStatus = %d; want 429", rl.Err.HTTPStatus)
			}
		})
	}
}

func TestUserPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"zJKyaiAyTNC-MWjiWC18KQ", "users/zJKyaiAyTNC-MWjiWC18KQ"},
		{"jane@example.com", "users/jane@example.com"},
		{"jane+zoom@example.com", "users/jane%2Bzoom@example.com"},
		{"a/b?c#d e", "users/a%2Fb%3Fc%23d%20e"},
		{"ü@example.com", "users/%C3%BC@example.com"},
	}
	for _, tt := range tests {
		if got := userPath(tt.in); got != tt.want {
			t.Errorf("userPath(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	lost := &url.Error{Op: "Put", URL: "https://api.zoom.us/v2/users/a/status",
		Err: io.ErrUnexpectedEOF}
	tests := []struct {
		name                                 string
		err                                  error
		refused, transient, forbidden, scope bool
	}{
		{"bad request", &Error{HTTPStatus: 400, Code: 200}, true, false, false, false},
		{"not found", &Error{HTTPStatus: 404, Code: 1001}, false, false, false, false},
		{"missing scope", &Error{HTTPStatus: 400, Code: 4711}, true, false, true, true},
		{"old missing scope", &Error{HTTPStatus: 401, Code: 4700}, false, false, true, true},
		{"bad token", &Error{HTTPStatus: 401, Code: 124}, false, false, true, false},
		{"forbidden", &Error{HTTPStatus: 403}, false, false, true, false},
		{"throttled", &RateLimitError{Err: &Error{HTTPStatus: 429}}, false, true, false, false},
		{"server error", &Error{HTTPStatus: 503}, false, true, false, false},
		{"lost answer", lost, false, true, false, false},
		{"refused credentials", &AuthError{HTTPStatus: 401}, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, refused := RefusalCode(tt.err)
			got := [4]bool{refused, IsTransient(tt.err), IsForbidden(tt.err), IsMissingScope(tt.err)}
			want := [4]bool{tt.refused, tt.transient, tt.forbidden, tt.scope}
			if got != want {
				t.Errorf("refused, transient, forbidden, missing scope of %v = %v; want %v",
					tt.err, got, want)
			}
		})
	}
}
