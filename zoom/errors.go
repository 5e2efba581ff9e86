package zoom

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Zoom error codes that offboard acts on. Zoom documents many more; they reach
// the report as they are.
const (
	CodeAdminOrRoom     = 200  // owner, admin and Zoom Room users cannot change status
	CodeUpcomingEvents  = 300  // cannot deactivate a user with upcoming Zoom Events
	CodeUserNotFound    = 1001 // the user does not exist
	CodeInvalidToken    = 124  // the access token is invalid or expired
	CodeMissingScope    = 4711 // the token lacks a scope the call needs
	CodeMissingScopeOld = 4700 // the same, as older apps have been told
	CodeNoPermission    = 104  // the same, in older documentation
	CodeRateLimited     = 429  // too many requests
	CodeBasicCapReached = 3412 // cannot activate: the account's Basic user cap is reached
)

// RefusalCode returns Zoom's code when err is Zoom refusing the request
// itself (HTTP 400), as opposed to not finding the user, not letting the
// caller in, or not answering.
func RefusalCode(err error) (code int, ok bool) {
	var e *Error
	if errors.As(err, &e) && e.HTTPStatus == http.StatusBadRequest {
		return e.Code, true
	}
	return 0, false
}

// IsTransient reports whether err is a failure that a later try may not
// meet: throttling, a server error, or a request or answer lost on the way.
func IsTransient(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
	}
	return isNetworkError(err)
}

// IsMissingScope reports whether err says the token lacks a scope the call
// needs.
func IsMissingScope(err error) bool {
	var e *Error
	return errors.As(err, &e) &&
		(e.Code == CodeMissingScope || e.Code == CodeMissingScopeOld || e.Code == CodeNoPermission)
}

// IsForbidden reports whether err says the caller may not make such calls at
// all: its token is refused (401), the call is forbidden (403), or the token
// lacks a scope. Every other row of a run would meet the same.
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.HTTPStatus == http.StatusUnauthorized ||
		e.HTTPStatus == http.StatusForbidden || IsMissingScope(err))
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Error is a non-2xx answer from Zoom.
type Error struct {
	HTTPStatus int    // HTTP status code
	Code       int    // Zoom's error code; 0 when the body had none
	Message    string // Zoom's message, or the HTTP status text when the body had none
	Method     string // request method
	URL        string // request URL
	TrackingID string // Zoom's x-zm-trackingid, which Zoom support asks for
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %d", e.Method, e.URL, e.HTTPStatus)
	if e.Code != 0 {
		s += fmt.Sprintf(" code %d", e.Code)
	}
	return s + ": " + e.Message
}

// Rate-limit kinds, as Zoom names them in X-RateLimit-Type, plus the throttle
// Zoom sends for two calls on the same user at once.
const (
	LimitPerSecond  = "QPS"
	LimitDaily      = "Daily-limit"
	LimitConcurrent = "Concurrent"
)

// RateLimitError is a 429 from Zoom. It unwraps to its *Error.
type RateLimitError struct {
	Err      *Error
	Kind     string    // LimitPerSecond, LimitDaily or LimitConcurrent
	Category string    // X-RateLimit-Category, such as "Light"; empty when not sent
	RetryAt  time.Time // when Zoom said to try again, in UTC; zero when it did not say
}

func (e *RateLimitError) Error() string { return e.Err.Error() }
func (e *RateLimitError) Unwrap() error { return e.Err }

// Daily reports whether the limit is the account's daily limit, which lasts
// until 00:00 UTC.
func (e *RateLimitError) Daily() bool { return e.Kind == LimitDaily }

// errorBody is the shape Zoom gives its errors. Bodies of other shapes happen.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// checkResponse turns a non-2xx response into an *Error or a *RateLimitError.
// It reads at most maxErrorBody bytes of the body, whose shape it does not trust.
func checkResponse(resp *http.Response, now time.Time) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{
		HTTPStatus: resp.StatusCode,
		Method:     resp.Request.Method,
		URL:        resp.Request.URL.Redacted(),
		TrackingID: resp.Header.Get("X-Zm-Trackingid"),
	}
	var body errorBody
	if json.Unmarshal(data, &body) == nil {
		e.Code, e.Message = body.Code, strings.TrimSpace(body.Message)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return e
	}
	return rateLimitError(e, resp.Header, now)
}

// rateLimitError classifies a 429. Zoom's headers say which limit was hit, but
// real 429s arrive with some or all of them missing; the message then tells.
func rateLimitError(e *Error, h http.Header, now time.Time) *RateLimitError {
	rl := &RateLimitError{Err: e, Category: h.Get("X-RateLimit-Category")}
	rl.RetryAt, _ = parseRetryAfter(h.Get("Retry-After"), now)
	msg := strings.ToLower(e.Message)
	switch {
	case strings.EqualFold(h.Get("X-RateLimit-Type"), LimitDaily):
		rl.Kind = LimitDaily
	case strings.Contains(msg, "concurrent"):
		rl.Kind = LimitConcurrent
	case strings.Contains(msg, "daily"):
		rl.Kind = LimitDaily
	case !rl.RetryAt.IsZero() && rl.RetryAt.Sub(now) > time.Hour:
		// Only the daily limit asks for waits this long.
		rl.Kind = LimitDaily
	default:
		rl.Kind = LimitPerSecond
	}
	return rl
}

// parseRetryAfter reads a Retry-After value in any of the forms seen: delta
// seconds, an HTTP-date, or an RFC 3339 time. The result is in UTC.
func parseRetryAfter(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, errors.New("no Retry-After")
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second).UTC(), nil
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.UTC(), nil
	}
	// A time without a zone is read as UTC, as Zoom means it, never as local time.
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable Retry-After %q", v)
}
