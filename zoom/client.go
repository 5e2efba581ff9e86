package zoom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/offboard/offboard/ratelimit"
)

// DefaultAPIURL is the base of Zoom's REST API.
const DefaultAPIURL = "https://api.zoom.us/v2"

// DefaultTokenURL is Zoom's OAuth token endpoint.
const DefaultTokenURL = "https://zoom.us/oauth/token"

// maxBody bounds how much of a successful response is read.
const maxBody = 8 << 20

// Config configures a Client.
type Config struct {
	APIURL      string          // base URL of the API; DefaultAPIURL when empty
	Tokens      TokenSource     // required
	HTTPClient  *http.Client    // nil means http.DefaultClient
	Light       *ratelimit.Gate // paces Light calls (get a user, change status); required
	Medium      *ratelimit.Gate // paces Medium calls (list users); nil means Light
	MaxAttempts int             // attempts per call for retryable failures; 0 means 5
	Logger      *slog.Logger    // nil means no logging
}

// Client calls Zoom. Its methods are safe for concurrent use.
type Client struct {
	base   *url.URL
	cfg    Config
	logger *slog.Logger
}

// NewClient returns a client for cfg.
func NewClient(cfg Config) (*Client, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.APIURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("zoom api url %q is not an absolute URL", cfg.APIURL)
	}
	if cfg.Tokens == nil || cfg.Light == nil {
		return nil, errors.New("zoom client needs a token source and a Light gate")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Medium == nil {
		cfg.Medium = cfg.Light
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{base: base, cfg: cfg, logger: logger}, nil
}

// Response describes the answer to a call that succeeded.
type Response struct {
	HTTPStatus int    // the final HTTP status
	TrackingID string // Zoom's x-zm-trackingid
	Attempts   int    // requests sent for this call, retries included
	// Confirmed is set when an answer was lost on the way and a later get of
	// the user showed that the change had taken effect.
	Confirmed bool
}

// userPath returns the path of a user's resource. The ID or email is escaped
// as one path segment, with "+" sent as %2B: some servers decode a bare "+"
// in a path as a space.
func userPath(userID string, rest ...string) string {
	seg := strings.ReplaceAll(url.PathEscape(userID), "+", "%2B")
	return strings.Join(append([]string{"users", seg}, rest...), "/")
}

// call is one API request, which may be sent several times.
type call struct {
	method string
	path   string // relative to the API base, already escaped
	query  url.Values
	body   any // marshalled as JSON when not nil
}

type sendHookKey struct{}

// WithSendHook returns a copy of ctx with which the client calls hook just
// before it sends each request, after the request has passed its gate. A
// caller can thereby tell a call still waiting for its turn, which can be
// dropped harmlessly, from one that may have reached Zoom.
func WithSendHook(ctx context.Context, hook func()) context.Context {
	return context.WithValue(ctx, sendHookKey{}, hook)
}

// attempt sends a request once. It returns the response, its body, the token
// it sent and the error.
type attempt func(ctx context.Context) (Response, []byte, string, error)

// retry runs send through gate until it succeeds, fails for good or runs out
// of attempts. A 401 with code 124 renews the token once and tries again.
func (cl *Client) retry(
	ctx context.Context,
	gate *ratelimit.Gate,
	send attempt,
) (Response, []byte, error) {
	// Have a token before passing the gate: calls let through while the token
	// is fetched would otherwise wait for it, then leave together.
	if _, err := cl.cfg.Tokens.Token(ctx); err != nil {
		return Response{}, nil, err
	}
	var (
		resp    Response
		data    []byte
		renewed bool
	)
	n, err := gate.Call(
		ctx,
		cl.cfg.MaxAttempts,
		func(ctx context.Context) (ratelimit.Verdict, error) {
			var token string
			var err error
			resp, data, token, err = send(ctx)
			if !renewed && isInvalidToken(err) && cl.cfg.Tokens.Renew(token) {
				cl.logger.Debug("zoom rejected the access token; renewing it")
				renewed = true
				return ratelimit.Verdict{Retry: true}, err
			}
			return verdict(ctx, err), err
		},
	)
	resp.Attempts = n
	return resp, data, err
}

// do sends c through gate and decodes a successful body into out, when out is
// not nil.
func (cl *Client) do(ctx context.Context, gate *ratelimit.Gate, c call, out any) (Response, error) {
	resp, data, err := cl.retry(
		ctx,
		gate,
		func(ctx context.Context) (Response, []byte, string, error) {
			return cl.sendOnce(ctx, c)
		},
	)
	if err == nil && out != nil {
		err = decode(c, data, out)
	}
	return resp, err
}

func decode(c call, data []byte, out any) error {
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", c.method, c.path, err)
	}
	return nil
}

func isInvalidToken(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.HTTPStatus == http.StatusUnauthorized &&
		e.Code == CodeInvalidToken
}

func (cl *Client) sendOnce(ctx context.Context, c call) (Response, []byte, string, error) {
	token, err := cl.cfg.Tokens.Token(ctx)
	if err != nil {
		return Response{}, nil, "", err
	}
	req, err := cl.newRequest(ctx, c, token)
	if err != nil {
		return Response{}, nil, token, err
	}
	if hook, ok := ctx.Value(sendHookKey{}).(func()); ok {
		hook()
	}
	resp, err := cl.cfg.HTTPClient.Do(req)
	if err != nil {
		return Response{}, nil, token, err
	}
	defer resp.Body.Close()

	r := Response{HTTPStatus: resp.StatusCode, TrackingID: resp.Header.Get("X-Zm-Trackingid")}
	if err := checkResponse(resp, time.Now()); err != nil {
		return r, nil, token, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return r, nil, token, fmt.Errorf("read %s %s: %w", c.method, req.URL.Redacted(), err)
	}
	return r, data, token, nil
}

func (cl *Client) newRequest(ctx context.Context, c call, token string) (*http.Request, error) {
	u := cl.base.String() + "/" + c.path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	if c.body != nil {
		data, err := json.Marshal(c.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// verdict tells the gate what a failed attempt means.
func verdict(ctx context.Context, err error) ratelimit.Verdict {
	var rl *RateLimitError
	var ze *Error
	switch {
	case err == nil, ctx.Err() != nil:
		return ratelimit.Verdict{}
	case errors.As(err, &rl) && rl.Kind == LimitConcurrent:
		// Another call on the same user is in flight: only this caller waits.
		return ratelimit.Verdict{Retry: true}
	case errors.As(err, &rl) && rl.Daily():
		until := rl.RetryAt
		if until.IsZero() {
			until = nextUTCMidnight(time.Now())
		}
		return ratelimit.Verdict{Throttle: true, Until: until}
	case errors.As(err, &rl):
		return ratelimit.Verdict{Throttle: true, Until: rl.RetryAt}
	case errors.As(err, &ze):
		return ratelimit.Verdict{Retry: ze.HTTPStatus >= 500}
	case isNetworkError(err), errors.Is(err, errUnconfirmed):
		return ratelimit.Verdict{Retry: true}
	}
	return ratelimit.Verdict{}
}

// isNetworkError reports whether err means the request or its answer was lost
// on the way, rather than refused.
func isNetworkError(err error) bool {
	var ue *url.Error
	var ae *AuthError
	return errors.As(err, &ue) && !errors.As(err, &ae) || errors.Is(err, io.ErrUnexpectedEOF)
}

// nextUTCMidnight is when Zoom resets daily limits.
func nextUTCMidnight(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
