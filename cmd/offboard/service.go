package main

import (
	"cmp"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
)

// service is the Zoom a run talks to, with the pacing of its calls.
type service struct {
	client  *zoom.Client
	gate    *ratelimit.Gate
	medium  *ratelimit.Gate // paces Medium calls (user listings) apart from the Light ones
	workers int
	tokens  zoom.TokenSource
	apiURL  string
	account string // which account it is, for the question before a run
}

// planMedium is the Medium rate limit of each Zoom plan, in requests per second.
var planMedium = map[string]float64{"free": 2, "pro": 20, "business": 60}

const credentialsHelp = `offboard needs the credentials of a Server-to-Server OAuth app
in the environment:
  ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET
or an access token you already have in ZOOM_ACCESS_TOKEN.
Create the app at https://marketplace.zoom.us (Develop > Build App > Server-to-Server OAuth)
with the scopes user:read:admin and user:write:admin, or the granular
user:read:user:admin and user:update:status:admin, then activate it.
To try offboard without an account, add --sandbox.`

// newService connects to Zoom, or to a sandbox it starts, as the flags say.
// The returned func releases what it started.
func newService(e *env, f *runFlags) (*service, func(), error) {
	apiURL, tokenURL := cmp.Or(f.apiURL, e.getenv("ZOOM_API_URL"), zoom.DefaultAPIURL),
		cmp.Or(f.tokenURL, e.getenv("ZOOM_TOKEN_URL"), zoom.DefaultTokenURL)
	var tokens zoom.TokenSource
	cleanup := func() {}
	if f.sandbox {
		sb, err := zoomtest.Start(
			"127.0.0.1:0",
			zoomtest.Options{Plan: f.plan, Latency: 40 * time.Millisecond},
		)
		if err != nil {
			return nil, nil, fmt.Errorf("start the sandbox: %w", err)
		}
		cleanup = func() { sb.Close() }
		apiURL, tokenURL = sb.APIURL(), sb.TokenURL()
		c := sb.Credentials()
		tokens = zoom.NewAccountTokens(zoom.Credentials(c), tokenURL, nil)
	} else {
		for _, u := range []string{apiURL, tokenURL} {
			if err := checkEndpoint(u); err != nil {
				return nil, nil, err
			}
		}
		var err error
		if tokens, err = credentials(e, tokenURL); err != nil {
			return nil, nil, err
		}
	}
	svc, err := newPacedClient(f, apiURL, tokens)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	svc.account = accountName(e, f)
	return svc, cleanup, nil
}

func newPacedClient(f *runFlags, apiURL string, tokens zoom.TokenSource) (*service, error) {
	pace := f.pace()
	n := workers(f.concurrency, pace)
	gate := ratelimit.New(ratelimit.Config{Rate: pace, MaxInFlight: f.concurrency, Adaptive: true})
	medium := ratelimit.New(ratelimit.Config{Rate: planMedium[f.plan], Adaptive: true})
	// Keep a connection for every worker: the default keeps two, and every
	// other call would pay for a new TLS handshake.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = n
	client, err := zoom.NewClient(zoom.Config{
		APIURL:      apiURL,
		Tokens:      tokens,
		HTTPClient:  &http.Client{Transport: transport, Timeout: 60 * time.Second},
		Light:       gate,
		Medium:      medium,
		MaxAttempts: f.maxAttempts,
	})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return &service{client: client, gate: gate, medium: medium,
		workers: n, tokens: tokens, apiURL: apiURL}, nil
}

// workers returns the size of the worker pool. The gate keeps the calls in
// flight to what the rate needs at the latency it sees; the pool only has to
// hold that many calls when answers are slow, with some to spare for calls
// waiting out a backoff: five seconds' worth of calls, which keeps the rate
// until answers take about four seconds. Workers are cheap: those waiting at
// the gate send nothing once the run stops.
func workers(concurrency int, pace float64) int {
	if concurrency > 0 {
		return concurrency
	}
	return int(min(max(math.Ceil(pace*5), 4), 512))
}

// credentials reads the credentials from the environment.
func credentials(e *env, tokenURL string) (zoom.TokenSource, error) {
	if t := e.getenv("ZOOM_ACCESS_TOKEN"); t != "" {
		return zoom.StaticToken(t), nil
	}
	c := zoom.Credentials{
		AccountID:    e.getenv("ZOOM_ACCOUNT_ID"),
		ClientID:     e.getenv("ZOOM_CLIENT_ID"),
		ClientSecret: e.getenv("ZOOM_CLIENT_SECRET"),
	}
	if c.AccountID == "" || c.ClientID == "" || c.ClientSecret == "" {
		return nil, usageErrorf("no Zoom credentials.\n%s", credentialsHelp)
	}
	return zoom.NewAccountTokens(c, tokenURL, &http.Client{Timeout: 30 * time.Second}), nil
}

// checkEndpoint refuses URLs that are not https, except on loopback, where a
// local simulator may serve plain http.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return usageErrorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return usageErrorf(
		"refusing %s: Zoom is reached over https; plain http is allowed only on loopback",
		u.Redacted(),
	)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
