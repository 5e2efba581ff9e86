// Package spectest checks HTTP requests and responses against Zoom's OpenAPI
// spec of the Users API, for tests of the sandbox and of offboard's client.
//
// The spec is read at test time, never copied into the project: from the
// file named by the environment variable OFFBOARD_ZOOM_SPEC, or else from
// shared/zoom/users-openapi.json beside the module's root directory. Tests
// that need it are skipped when it is missing, unless OFFBOARD_REQUIRE_SPEC
// is 1, which makes them fail instead.
//
// Besides what the spec states, the checker holds responses to two things
// Zoom does that the spec leaves out: the statuses every Zoom API can answer
// (401, 429 and 5xx, and 204 for a status change, which older docs promise),
// and the shape of Zoom's JSON error bodies, an integer code and a string
// message. It also refuses a request without a body where the body's schema
// has required fields, which the spec fails to mark as required.
package spectest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is a loaded OpenAPI spec, ready to check requests and responses. Its
// methods are safe for concurrent use.
type Spec struct {
	router routers.Router
	server *url.URL // the spec's first server, such as https://api.zoom.us/v2
}

var (
	loadedMu sync.Mutex
	loaded   = make(map[string]*Spec) // by path: each test binary reads the spec once
)

// Load returns the spec, skipping the test if the file is missing and
// failing it if the file cannot be read as a spec.
func Load(t testing.TB) *Spec {
	t.Helper()
	path, err := specPath()
	if err != nil {
		t.Fatalf("find Zoom's OpenAPI spec: %v", err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("Zoom's OpenAPI spec of the Users API is not at %s: "+
			"put it there or set OFFBOARD_ZOOM_SPEC to its path", path)
		if os.Getenv("OFFBOARD_REQUIRE_SPEC") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if s, ok := loaded[path]; ok {
		return s
	}
	s, err := load(path)
	if err != nil {
		t.Fatalf("load Zoom's OpenAPI spec: %v", err)
	}
	loaded[path] = s
	return s
}

// specPath returns OFFBOARD_ZOOM_SPEC or the default path beside the module.
func specPath() (string, error) {
	if p := os.Getenv("OFFBOARD_ZOOM_SPEC"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "zoom", "users-openapi.json"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// load reads the spec without validating the document as a whole: Zoom's
// file has a malformed security scheme that full validation rejects, while
// the operations themselves are sound.
func load(path string) (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(doc.Servers) == 0 {
		return nil, fmt.Errorf("read %s: the spec names no server", path)
	}
	server, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		return nil, fmt.Errorf("read %s: server URL: %w", path, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", path, err)
	}
	return &Spec{router: router, server: server}, nil
}

// find returns the operation r names, matching r's path as if it had been
// sent to the spec's server.
func (s *Spec) find(r *http.Request) (*openapi3filter.RequestValidationInput, error) {
	at := r.Clone(r.Context())
	u := *r.URL
	u.Scheme, u.Host = s.server.Scheme, s.server.Host
	at.URL, at.Host = &u, s.server.Host
	route, params, err := s.router.FindRoute(at)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.EscapedPath(), err)
	}
	return &openapi3filter.RequestValidationInput{
		Request: at, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
	}, nil
}

// CheckRequest reports how r departs from the spec: an unknown operation, a
// bad parameter or a body the operation does not accept. It leaves r's body
// readable.
func (s *Spec) CheckRequest(r *http.Request) error {
	in, err := s.find(r)
	if err != nil {
		return fmt.Errorf("request %w", err)
	}
	body, err := peek(r)
	if err != nil {
		return fmt.Errorf("request %s %s: %w", r.Method, r.URL.EscapedPath(), err)
	}
	in.Request.Body = io.NopCloser(bytes.NewReader(body))
	err = openapi3filter.ValidateRequest(context.Background(), in)
	if err == nil && len(body) == 0 && needsBody(in.Route.Operation) {
		err = errors.New("no body, though the body's schema has required fields")
	}
	if err != nil {
		return fmt.Errorf("request %s %s (operation %s): %w",
			r.Method, r.URL.EscapedPath(), in.Route.Operation.OperationID, err)
	}
	return nil
}

// needsBody reports whether op's request body has a schema with required
// fields. Zoom's spec marks no body as required even where the body's schema
// requires a field, as the status change's action.
func needsBody(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	for _, mt := range op.RequestBody.Value.Content {
		if mt.Schema != nil && mt.Schema.Value != nil && len(mt.Schema.Value.Required) > 0 {
			return true
		}
	}
	return false
}

// peek reads r's body and puts back an unread copy.
func peek(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// CheckResponse reports how a response to r departs from the spec, or from
// what Zoom does besides (see the package documentation).
func (s *Spec) CheckResponse(r *http.Request, status int, h http.Header, body []byte) error {
	in, err := s.find(r)
	if err != nil {
		return fmt.Errorf("response %d to %w", status, err)
	}
	op := in.Route.Operation.OperationID
	fail := func(err error) error {
		return fmt.Errorf("response %d to %s %s (operation %s): %w",
			status, r.Method, r.URL.EscapedPath(), op, err)
	}
	if err := checkErrorBody(status, h, body); err != nil {
		return fail(err)
	}
	if undocumented(op, status) {
		return nil
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fail(err)
	}
	return nil
}

// undocumented reports whether Zoom sends status for the operation although
// the spec does not list it.
func undocumented(op string, status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusNoContent:
		return op == "userStatus"
	}
	return false
}

// checkErrorBody checks that a JSON error body has Zoom's shape.
func checkErrorBody(status int, h http.Header, body []byte) error {
	ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if status < 400 || ct != "application/json" {
		return nil
	}
	var e struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if e.Code == nil || e.Message == nil {
		return errors.New("error body lacks an integer code or a string message")
	}
	return nil
}

// Wrap returns middleware that checks every request under the spec's base
// path, and the response the wrapped handler writes to it, reporting each
// departure with t.Errorf. Other requests, such as for OAuth tokens, pass
// unchecked.
func (s *Spec) Wrap(t testing.TB) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !s.covers(r) {
				next.ServeHTTP(w, r)
				return
			}
			if err := s.CheckRequest(r); err != nil {
				t.Errorf("spectest: %v", err)
			}
			rec := &recorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if err := s.CheckResponse(r, rec.code(), rec.header, rec.body.Bytes()); err != nil {
				t.Errorf("spectest: %v", err)
			}
		})
	}
}

// covers reports whether r's path lies under the spec's base path.
func (s *Spec) covers(r *http.Request) bool {
	base := s.server.EscapedPath()
	p := r.URL.EscapedPath()
	return p == base || len(p) > len(base) && p[:len(base)+1] == base+"/"
}

// recorder passes a response through while keeping a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header // as it was when the status was written
	body   bytes.Buffer
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status, rec.header = status, rec.ResponseWriter.Header().Clone()
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	rec.body.Write(b)
	return rec.ResponseWriter.Write(b)
}

func (rec *recorder) code() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}
