package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/ratelimit"
)

// handlerTransport serves requests with a handler in the same process, so that
// tests can run inside a synctest bubble, where time is virtual. A handler that
// panics with errReset stands for a connection dropped without an answer.
type handlerTransport struct{ h http.Handler }

var errReset = errors.New("connection reset by peer")

func (t handlerTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	defer func() {
		if r := recover(); r == errReset {
			resp, err = nil, errReset
		} else if r != nil {
			panic(r)
		}
	}()
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp = rec.Result()
	resp.Request = req
	return resp, nil
}

// fakeZoom is a scripted Zoom: the token endpoint and a handler for API calls.
type fakeZoom struct {
	t      *testing.T
	ttl    int // expires_in of issued tokens, in seconds
	mu     sync.Mutex
	tokens []string // issued, in order
	calls  []string // "METHOD escaped-path", in order
	api    func(w http.ResponseWriter, r *http.Request, n int)
}

func (z *fakeZoom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if r.URL.Path == "/oauth/token" {
		z.token(w, r)
		return
	}
	if got, want := r.Header.Get("Authorization"), "Bearer "+z.tokens[len(z.tokens)-1]; got != want {
		w.WriteHeader(401)
		io.WriteString(w, `{"code":124,"message":"Invalid access token."}`)
		return
	}
	z.calls = append(z.calls, r.Method+" "+r.URL.EscapedPath())
	w.Header().Set("X-Zm-Trackingid", fmt.Sprintf("track-%d", len(z.calls)))
	z.api(w, r, len(z.calls))
}

func (z *fakeZoom) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != "client" || secret != "s3cret-value" {
		w.WriteHeader(401)
		io.WriteString(
			w,
			`{"reason":"Invalid client_id or client_secret","error":"invalid_client"}`,
		)
		return
	}
	if r.URL.RawQuery != "" {
		z.t.Errorf("token request query = %q; want parameters in the body", r.URL.RawQuery)
	}
	r.ParseForm()
	g, a := r.PostForm.Get("grant_type"), r.PostForm.Get("account_id")
	if g != "account_credentials" || a != "acct" {
		z.t.Errorf(
			"token form grant_type, account_id = %q, %q; want account_credentials, acct",
			g,
			a,
		)
	}
	tok := fmt.Sprintf("token-%d", len(z.tokens)+1)
	z.tokens = append(z.tokens, tok)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(
		w,
		`{"access_token":%q,"token_type":"bearer","expires_in":%d,"scope":"user:write:admin"}`,
		tok,
		z.ttl,
	)
}

func (z *fakeZoom) issued() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return len(z.tokens)
}

// newTestClient returns a client of z at 10 calls a second.
func newTestClient(t *testing.T, z *fakeZoom) *Client {
	t.Helper()
	hc := &http.Client{Transport: handlerTransport{z}}
	tokens := NewAccountTokens(
		Credentials{"acct", "client", "s3cret-value"},
		"http://zoom.test/oauth/token",
		hc,
	)
	c, err := NewClient(Config{
		APIURL:      "http://zoom.test/v2",
		Tokens:      tokens,
		HTTPClient:  hc,
		Light:       ratelimit.New(ratelimit.Config{Rate: 10}),
		MaxAttempts: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func zoomError(w http.ResponseWriter, status, code int, msg string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":%q}`, code, msg)
}

func TestSetStatusRequest(t *testing.T) {
	for _, status := range []int{200, 204} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			z := &fakeZoom{t: t, ttl: 3600}
			z.api = func(w http.ResponseWriter, r *http.Request, n int) {
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q; want application/json", ct)
				}
				var body map[string]any
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil ||
					body["action"] != "deactivate" ||
					len(body) != 1 {
					t.Errorf("body = %v (%v); want {\"action\":\"deactivate\"}", body, err)
				}
				w.WriteHeader(status)
			}
			resp, err := newTestClient(
				t,
				z,
			).SetStatus(context.Background(), "jane+x@example.com", Deactivate)
			if err != nil {
				t.Fatalf("SetStatus() error = %v", err)
			}
			if resp.HTTPStatus != status || resp.Attempts != 1 || resp.TrackingID != "track-1" {
				t.Errorf("SetStatus() = %+v; want status %d, 1 attempt, track-1", resp, status)
			}
			if want := "PUT /v2/users/jane%2Bx@example.com/status"; z.calls[0] != want {
				t.Errorf("request = %q; want %q", z.calls[0], want)
			}
		})
	}
}

func TestSetStatusRefusesBadInput(t *testing.T) {
	z := &fakeZoom{t: t, ttl: 3600, api: func(w http.ResponseWriter, r *http.Request, n int) {}}
	c := newTestClient(t, z)
	for _, tt := range []struct {
		user string
		a    Action
	}{{"me", Deactivate}, {"", Deactivate}, {"a@b.c", "clock_in"}, {"a@b.c", ""}} {
		if _, err := c.SetStatus(context.Background(), tt.user, tt.a); err == nil {
			t.Errorf("SetStatus(%q, %q) = nil error; want refusal", tt.user, tt.a)
		}
	}
	if len(z.calls) != 0 {
		t.Errorf("requests sent = %v; want none", z.calls)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		answer       func(w http.ResponseWriter, n int)
		wantAttempts int
		wantErr      bool
		wantCode     int
		minElapsed   time.Duration
	}{
		{"429 without headers then success", func(w http.ResponseWriter, n int) {
			if n == 1 {
				w.WriteHeader(429)
				return
			}
			w.WriteHeader(204)
		}, 2, false, 0, 0},
		{"retry-after seconds is honoured", func(w http.ResponseWriter, n int) {
			if n == 1 {
				w.Header().Set("Retry-After", "7")
				zoomError(
					w,
					429,
					429,
					"You have reached the maximum per-second rate limit for this API.",
				)
				return
			}
			w.WriteHeader(200)
		}, 2, false, 0, 7 * time.Second},
		{"5xx until attempts run out", func(w http.ResponseWriter, n int) {
			zoomError(w, 503, 0, "Service Unavailable")
		}, 4, true, 0, 0},
		{"404 is not retried", func(w http.ResponseWriter, n int) {
			zoomError(w, 404, 1001, "User does not exist: a@b.c.")
		}, 1, true, 1001, 0},
		{"400 code 200 is not retried", func(w http.ResponseWriter, n int) {
			zoomError(w, 400, 200, "Admin users' status cannot be activated or deactivated.")
		}, 1, true, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				z := &fakeZoom{
					t:   t,
					ttl: 3600,
					api: func(w http.ResponseWriter, r *http.Request, n int) { tt.answer(w, n) },
				}
				start := time.Now()
				resp, err := newTestClient(
					t,
					z,
				).SetStatus(context.Background(), "a@b.c", Deactivate)
				if (err != nil) != tt.wantErr || resp.Attempts != tt.wantAttempts {
					t.Fatalf(
						"SetStatus() = %+v, %v; want %d attempts, error %v",
						resp,
						err,
						tt.wantAttempts,
						tt.wantErr,
					)
				}
				var ze *Error
				if tt.wantCode != 0 && (!errors.As(err, &ze) || ze.Code != tt.wantCode) {
					t.Errorf("SetStatus() error = %v; want Zoom code %d", err, tt.wantCode)
				}
				if elapsed := time.Since(start); elapsed < tt.minElapsed {
					t.Errorf("SetStatus() took %v; want at least %v", elapsed, tt.minElapsed)
				}
			})
		})
	}
}

func TestDailyLimitIsNotWaited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reset := time.Now().UTC().Add(10 * time.Hour).Format(time.RFC3339)
		z := &fakeZoom{t: t, ttl: 3600, api: func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("X-RateLimit-Type", "Daily-limit")
			w.Header().Set("Retry-After", reset)
			zoomError(w, 429, 429, "You have reached the maximum daily rate limit for this API.")
		}}
		start := time.Now()
		resp, err := newTestClient(t, z).SetStatus(context.Background(), "a@b.c", Deactivate)
		var rl *RateLimitError
		if !errors.As(err, &rl) || !rl.Daily() || rl.RetryAt.Format(time.RFC3339) != reset {
			t.Fatalf("SetStatus() error = %v; want a daily limit resetting at %s", err, reset)
		}
		if resp.Attempts != 1 || time.Since(start) > time.Minute {
			t.Errorf(
				"SetStatus() made %d attempts over %v; want 1 attempt and no wait",
				resp.Attempts,
				time.Since(start),
			)
		}
	})
}

func TestTokenRenewedOn124(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := &fakeZoom{t: t, ttl: 3600}
		z.api = func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(204) }
		c := newTestClient(t, z)
		if _, err := c.SetStatus(context.Background(), "a@b.c", Deactivate); err != nil {
			t.Fatal(err)
		}
		// Another app fetched a token for the same client: Zoom drops ours.
		z.mu.Lock()
		z.tokens = append(z.tokens, "someone-elses")
		z.mu.Unlock()
		resp, err := c.SetStatus(context.Background(), "b@b.c", Deactivate)
		if err != nil || resp.Attempts != 2 {
			t.Fatalf(
				"SetStatus() after the token was dropped = %+v, %v; want success in 2 attempts",
				resp,
				err,
			)
		}
		if n := z.issued(); n != 3 {
			t.Errorf("tokens issued = %d; want 3 (one renewal by offboard)", n)
		}
	})
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := &fakeZoom{t: t, ttl: 600}
		z.api = func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(204) }
		c := newTestClient(t, z)
		for i := range 3 {
			if _, err := c.SetStatus(context.Background(), "a@b.c", Deactivate); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			time.Sleep(5 * time.Minute)
		}
		// Calls at 0, 5 and 10 minutes; a 10-minute token is renewed a minute early.
		if n := z.issued(); n != 2 {
			t.Errorf("tokens issued = %d; want 2", n)
		}
	})
}

func TestLostAnswerIsConfirmed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		status := "active"
		z := &fakeZoom{t: t, ttl: 3600}
		z.api = func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Method == http.MethodGet {
				fmt.Fprintf(w, `{"id":"u1","email":"a@b.c","status":%q}`, status)
				return
			}
			status = "inactive"
			panic(errReset) // the change took effect, the answer is lost
		}
		resp, err := newTestClient(t, z).SetStatus(context.Background(), "a@b.c", Deactivate)
		if err != nil || !resp.Confirmed {
			t.Fatalf("SetStatus() = %+v, %v; want success confirmed by a get", resp, err)
		}
		want := []string{"PUT /v2/users/a@b.c/status", "GET /v2/users/a@b.c"}
		if strings.Join(z.calls, ",") != strings.Join(want, ",") {
			t.Errorf("requests = %q; want %q", z.calls, want)
		}
	})
}

func TestLostAnswerNotTakenIsResent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		z := &fakeZoom{t: t, ttl: 3600}
		z.api = func(w http.ResponseWriter, r *http.Request, n int) {
			switch {
			case r.Method == http.MethodGet:
				io.WriteString(w, `{"id":"u1","email":"a@b.c","status":"active"}`)
			case n == 1:
				panic(errReset) // lost before it took effect
			default:
				w.WriteHeader(204)
			}
		}
		resp, err := newTestClient(t, z).SetStatus(context.Background(), "a@b.c", Deactivate)
		if err != nil || resp.Confirmed {
			t.Fatalf("SetStatus() = %+v, %v; want success, not confirmed", resp, err)
		}
		if len(z.calls) != 3 || !strings.HasPrefix(z.calls[2], "PUT") {
			t.Errorf("requests = %q; want PUT, GET, PUT", z.calls)
		}
	})
}

func TestSecretsStayOut(t *testing.T) {
	z := &fakeZoom{t: t, ttl: 3600, api: func(w http.ResponseWriter, r *http.Request, n int) {
		zoomError(w, 401, 124, "Invalid access token.")
	}}
	hc := &http.Client{Transport: handlerTransport{z}}
	bad := NewAccountTokens(
		Credentials{"acct", "client", "wrong-secret-xyz"},
		"http://zoom.test/oauth/token",
		hc,
	)
	_, err := bad.Token(context.Background())
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Reason != "Invalid client_id or client_secret" {
		t.Fatalf("Token() with a wrong secret = %v; want an *AuthError with Zoom's reason", err)
	}
	c := newTestClient(t, z)
	_, err = c.SetStatus(context.Background(), "a@b.c", Deactivate)
	shown := []string{
		err.Error(), fmt.Sprint(Credentials{"acct", "client", "s3cret-value"}), fmt.Sprintf("%+v", ae),
	}
	for _, s := range shown {
		for _, secret := range []string{"wrong-secret-xyz", "s3cret-value", "token-1", "token-2"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows the secret %q", s, secret)
			}
		}
	}
}
