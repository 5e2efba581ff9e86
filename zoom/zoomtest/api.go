package zoomtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// operation is one simulated endpoint of the Users API.
type operation struct {
	id       string // the operationId in Zoom's spec
	method   string
	category string
	scopes   []string // any one of them grants access
	serve    func(s *Server, r *http.Request, user string) reply
}

// The simulated operations, with the classic and granular scopes Zoom's spec
// lists for each.
var (
	listUsersOp = &operation{id: "users", method: http.MethodGet, category: medium,
		scopes: []string{"user:read:admin", "user:write:admin", "user:read:list_users:admin",
			"user:read", "user:write"},
		serve: (*Server).listUsers}
	getUserOp = &operation{id: "user", method: http.MethodGet, category: light,
		scopes: []string{"user:read:admin", "user:write:admin", "user:read:user:admin",
			"user:read", "user:write"},
		serve: (*Server).getUser}
	statusOp = &operation{id: "userStatus", method: http.MethodPut, category: light,
		scopes: []string{"user:write:admin", "user:update:status:admin", "user:write",
			"user:update:status"},
		serve: (*Server).setStatus}
)

// call is a routed API request: the operation and the user its path names.
type call struct {
	op   *operation
	user string
}

// route finds the operation a request names. A "+" in the user segment reads
// as a space, as on servers that decode paths like form values: only "%2B"
// stands for a plus sign.
func route(r *http.Request) (call, bool) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v2/users")
	var c call
	switch {
	case !ok:
		return call{}, false
	case rest == "" || rest == "/":
		c.op = listUsersOp
	case strings.HasPrefix(rest, "/"):
		seg, tail, hasTail := strings.Cut(rest[1:], "/")
		switch {
		case seg == "":
			return call{}, false
		case !hasTail:
			c.op = getUserOp
		case tail == "status":
			c.op = statusOp
		default:
			return call{}, false
		}
		c.user = seg
		if u, err := url.PathUnescape(strings.ReplaceAll(seg, "+", " ")); err == nil {
			c.user = u
		}
	default:
		return call{}, false
	}
	return c, r.Method == c.op.method
}

// fault is a failure injected into one call.
type fault int

const (
	noFault     fault = iota
	failAPI           // a 500 from the API
	failGateway       // a 503 page from the gateway in front of it
	resetBefore       // the connection drops before the call takes effect
	resetAfter        // the connection drops after the call took effect
)

// serve is the server's handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-zm-trackingid", trackingID())
	path := r.URL.EscapedPath()
	switch path {
	case "/_sandbox/stats":
		s.statsReply(r).write(w)
		return
	case "/_sandbox/reset-daily":
		s.resetDailyReply(r).write(w)
		return
	}
	s.mu.Lock()
	s.stats.Requests[r.Method]++
	s.mu.Unlock()

	var rep reply
	switch {
	case path == "/oauth/token":
		if s.wait(r.Context()) {
			rep = s.issueToken(r)
		}
	case strings.HasPrefix(path, "/v2/"):
		rep = s.serveAPI(r)
	default:
		rep = notRecognized()
	}
	if rep.status == 0 {
		return // the client went away
	}
	rep.write(w)
	s.logRequest(r, rep.status)
}

// trackingID returns a fresh x-zm-trackingid value in the shape Zoom's have.
func trackingID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "v=2.0;clid=sandbox;rid=WEB_" + hex.EncodeToString(b)
}

func notRecognized() reply {
	return errorReply(http.StatusNotFound, 2300, "This API endpoint is not recognized.")
}

// serveAPI decides on an API call at its arrival, waits out the latency and
// then serves it. It returns the zero reply if the client went away meanwhile.
func (s *Server) serveAPI(r *http.Request) reply {
	c, ok := route(r)
	if !ok {
		return notRecognized()
	}
	refusal, f, release := s.admit(r, c, time.Now())
	defer release()
	if !s.wait(r.Context()) {
		return reply{}
	}
	switch {
	case refusal.status != 0:
		return refusal
	case f == failAPI || f == failGateway:
		return serverError(f == failGateway)
	case f == resetBefore:
		s.reset(r)
	}
	rep := c.op.serve(s, r, c.user)
	if f == resetAfter {
		s.reset(r)
	}
	return rep
}

// admit checks a call's token, rate limit and user's other calls in flight.
// It returns the refusal if any, else the fault to inject, and a func that
// ends the call's claim on its user.
func (s *Server) admit(r *http.Request, c call, now time.Time) (reply, fault, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	release := func() {}
	if rep, ok := s.authorize(r, c.op, now); !ok {
		s.stats.Unauthorized++
		return rep, noFault, release
	}
	b := s.light
	if c.op.category == medium {
		b = s.medium
	}
	if v := b.take(now); v != admitted {
		s.stats.Throttled++
		if v == overDaily {
			s.stats.ThrottledDaily++
		}
		return b.refusal(v, now, s.opts.BareThrottles, s.opts.DailyWithoutType), noFault, release
	}
	e := s.dir.find(c.user)
	switch {
	case c.user == "" || e == nil: // a listing, or an unknown user: nothing to claim
	case e.busy:
		s.stats.Throttled++
		s.stats.ThrottledConcurrent++
		return throttle(msgConcurrent), noFault, release
	default:
		e.busy = true
		release = func() { s.mu.Lock(); e.busy = false; s.mu.Unlock() }
	}
	return reply{}, s.pickFault(), release
}

// pickFault draws the fault for an admitted call. The caller holds s.mu.
func (s *Server) pickFault() fault {
	if s.rng.Float64() < s.opts.ResetRate {
		if s.rng.IntN(2) == 0 {
			return resetBefore
		}
		return resetAfter
	}
	if s.rng.Float64() < s.opts.FailRate {
		s.stats.Failures++
		if s.rng.IntN(2) == 0 {
			return failAPI
		}
		return failGateway
	}
	return noFault
}

// reset drops the connection without an answer. net/http closes it when a
// handler panics with http.ErrAbortHandler; Transport turns the panic into an
// error.
func (s *Server) reset(r *http.Request) {
	s.mu.Lock()
	s.stats.Resets++
	s.mu.Unlock()
	s.logRequest(r, 0)
	panic(http.ErrAbortHandler)
}

// wait sleeps for the jittered latency. It returns false if ctx ended first.
func (s *Server) wait(ctx context.Context) bool {
	if s.opts.Latency <= 0 {
		return ctx.Err() == nil
	}
	s.mu.Lock()
	d := time.Duration(float64(s.opts.Latency) * (0.5 + s.rng.Float64()))
	s.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// logRequest records a request at debug level; status 0 means a dropped
// connection.
func (s *Server) logRequest(r *http.Request, status int) {
	if s.log == nil {
		return
	}
	s.log.DebugContext(r.Context(), "sandbox request", "method", r.Method,
		"path", r.URL.EscapedPath(), "status", status)
}
