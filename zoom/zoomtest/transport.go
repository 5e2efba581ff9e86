package zoomtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
)

// errReset is the error Transport returns for a dropped connection.
var errReset = fmt.Errorf("zoomtest: connection dropped by the sandbox: %w", syscall.ECONNRESET)

// Transport returns a RoundTripper that serves requests in-process, with no
// socket. It accepts only requests for the server's own URL. It does all its
// work in the calling goroutine, so inside a testing/synctest bubble the
// simulated latency costs no real time. A dropped connection is an error
// that wraps syscall.ECONNRESET.
func (s *Server) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Server }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	if base := req.URL.Scheme + "://" + req.URL.Host; !strings.EqualFold(base, t.s.base) {
		return nil, fmt.Errorf("zoomtest: transport reaches only %s, not %s", t.s.base, base)
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:1"
	r.Host = req.URL.Host
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))

	rec := httptest.NewRecorder()
	if dropped := serveOnce(t.s.handler, rec, r); dropped {
		return nil, errReset
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// readBody reads and closes a request's body, as a RoundTripper must.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("zoomtest: read request body: %w", err)
	}
	return body, nil
}

// serveOnce runs h and reports whether it dropped the connection by
// panicking with http.ErrAbortHandler. Other panics go on.
func serveOnce(h http.Handler, w http.ResponseWriter, r *http.Request) (dropped bool) {
	defer func() {
		if v := recover(); v != nil {
			err, ok := v.(error)
			if !ok || !errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			dropped = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}
