package zoomtest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// sandboxHost is the host of a Server made by New: only its Transport reaches it.
const sandboxHost = "zoom.sandbox"

// Server is a simulated Zoom account: its OAuth endpoint, its Users API and
// its rate limits. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	creds   Credentials
	base    string // scheme and host, no trailing slash
	handler http.Handler
	log     *slog.Logger
	http    *http.Server // nil unless started

	mu      sync.Mutex // guards everything below
	rng     *mathrand.Rand
	dir     *directory
	tokens  map[string]token
	pages   map[string]page
	light   *bucket
	medium  *bucket
	stats   Stats
	replies int // successful status changes, to alternate 200 and 204
}

// Credentials are a server's Server-to-Server OAuth app credentials, random
// for every server.
type Credentials struct {
	AccountID    string
	ClientID     string
	ClientSecret string
}

// String describes the credentials without revealing the secret.
func (c Credentials) String() string {
	return fmt.Sprintf("account %s, client %s, secret redacted", c.AccountID, c.ClientID)
}

// ErrNotLoopback is returned by Start for an address outside the loopback
// network: the sandbox never listens where other machines could reach it.
var ErrNotLoopback = errors.New("sandbox address is not a loopback address")

// New returns a server that does not listen: reach it through Handler or
// Transport. It panics if opts.Validate reports an error.
func New(opts Options) *Server {
	if err := opts.Validate(); err != nil {
		panic("zoomtest: " + err.Error())
	}
	return newServer(opts, "http://"+sandboxHost)
}

// Start returns a server listening on addr, such as "127.0.0.1:0". The host
// must be a loopback address or localhost.
func Start(addr string, opts Options) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("start sandbox on %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("start sandbox on %q: %w", addr, ErrNotLoopback)
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	s := newServer(opts, "http://"+ln.Addr().String())
	s.http = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

func newServer(opts Options, base string) *Server {
	users := opts.Users
	if users == nil {
		users = Embedded()
	}
	seed := opts.Seed
	if seed == 0 {
		seed = mathrand.Uint64()
	}
	l := opts.limits()
	s := &Server{
		opts:   opts,
		creds:  Credentials{AccountID: secret(16), ClientID: secret(16), ClientSecret: secret(24)},
		base:   base,
		log:    opts.Logger,
		rng:    mathrand.New(mathrand.NewPCG(seed, seed>>1|1)),
		dir:    newDirectory(users),
		tokens: make(map[string]token),
		pages:  make(map[string]page),
		light:  newBucket(light, l.light, l.lightDaily, opts.BackgroundRate),
		medium: newBucket(medium, l.medium, l.mediumDaily, 0),
		stats:  Stats{Requests: make(map[string]int)},
	}
	s.handler = http.HandlerFunc(s.serve)
	if opts.Wrap != nil {
		s.handler = opts.Wrap(s.handler)
	}
	return s
}

// secret returns n random bytes, URL-safe base64 encoded.
func secret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Handler returns the server's HTTP handler, for mounting on a test server.
func (s *Server) Handler() http.Handler { return s.handler }

// URL returns the server's base URL: "http://127.0.0.1:PORT" once started,
// "http://zoom.sandbox" for a server made by New.
func (s *Server) URL() string { return s.base }

// APIURL returns the base URL of the REST API, URL()+"/v2".
func (s *Server) APIURL() string { return s.base + "/v2" }

// TokenURL returns the URL of the OAuth token endpoint.
func (s *Server) TokenURL() string { return s.base + "/oauth/token" }

// Credentials returns the credentials the token endpoint accepts.
func (s *Server) Credentials() Credentials { return s.creds }

// User returns the current state of the user with that ID or address.
func (s *Server) User(idOrEmail string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.dir.find(idOrEmail)
	if e == nil {
		return User{}, false
	}
	return e.User, true
}

// Close stops a started server, closing its connections. It does nothing for
// a server made by New.
func (s *Server) Close() error {
	if s.http == nil {
		return nil
	}
	if err := s.http.Close(); err != nil {
		return fmt.Errorf("close sandbox: %w", err)
	}
	return nil
}
