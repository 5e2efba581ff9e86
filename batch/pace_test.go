package batch

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
)

// paceCase is one run of rows through a Runner, a zoom.Client and a
// ratelimit.Gate, paced as offboard run paces them, against the sandbox.
type paceCase struct {
	rows        int
	rate        float64       // the configured rate, as --rate
	account     float64       // the account's Light limit in the sandbox
	background  float64       // Light calls per second another app spends
	latency     time.Duration // the sandbox's mean latency
	bare        bool          // 429s without any header
	concurrency int           // as --concurrency; 0 means offboard's default pool
	ghosts      bool          // three rows in four name users the account lacks
	// cold leaves the first token to be fetched by the first call, as
	// offboard run does. Otherwise it is fetched before the run, so that
	// the figures are the gate's alone: the calls the gate lets through
	// while the first call fetches the token wait for it and leave at once.
	cold bool
}

func (c paceCase) String() string {
	s := fmt.Sprintf("%v/s on %v/s", c.rate, c.account)
	if c.background > 0 {
		s += fmt.Sprintf(" less %v/s", c.background)
	}
	s += fmt.Sprintf(", %v", c.latency)
	if c.bare {
		s += ", bare 429s"
	}
	if c.concurrency > 0 {
		s += fmt.Sprintf(", %d workers", c.concurrency)
	}
	if c.ghosts {
		s += ", 3/4 unknown users"
	}
	return s
}

// workers returns the size of the worker pool as offboard run sizes it
// (workers in cmd/offboard): the given concurrency, else five seconds'
// worth of calls at the rate, between 4 and 512.
func (c paceCase) workers() int {
	if c.concurrency > 0 {
		return c.concurrency
	}
	return int(min(max(math.Ceil(c.rate*5), 4), 512))
}

// list returns the users the rows name.
func (c paceCase) list(users []zoomtest.User) []string {
	list := emails(users)
	if c.ghosts {
		for i := range list {
			if i%4 != 0 {
				list[i] = fmt.Sprintf("nobody%05d@example.com", i)
			}
		}
	}
	return list
}

// checkOutcomes reports rows that did not end as the sandbox says they must:
// updated, or failed for naming nobody.
func checkOutcomes(t *testing.T, c paceCase, r paceResult) {
	t.Helper()
	want := map[Outcome]int{Updated: c.rows}
	if c.ghosts {
		known := (c.rows + 3) / 4
		want = map[Outcome]int{Updated: known, Failed: c.rows - known}
	}
	if !maps.Equal(r.counts, want) {
		t.Errorf("outcomes = %v; want %v", r.counts, want)
	}
}

// left returns the calls per second that the other app leaves of the
// account's bucket.
func (c paceCase) left() float64 { return c.account - c.background }

// paceResult is what one run measured at the sandbox's door.
type paceResult struct {
	sent      int           // API requests sent, retries included
	throttled int           // 429s received
	span      time.Duration // from the first request sent to the last
	busy      time.Duration // the summed durations of every request
	peak      int           // most requests in flight at once
	sends     []time.Time   // when each request was sent
	refusals  []time.Time   // when each 429 came back
	minPace   float64       // the gate's slowest pace, sampled every 100ms
	maxPace   float64       // the gate's fastest pace, sampled every 100ms
	counts    map[Outcome]int
	gate      ratelimit.Stats
}

// rate returns the requests sent per second, from the first to the last.
func (r paceResult) rate() float64 {
	if r.sent < 2 || r.span <= 0 {
		return 0
	}
	return float64(r.sent-1) / r.span.Seconds()
}

// inFlight returns the mean number of requests in flight over the run.
func (r paceResult) inFlight() float64 {
	if r.span <= 0 {
		return 0
	}
	return r.busy.Seconds() / r.span.Seconds()
}

// minGap returns the shortest time between two requests sent one after the
// other.
func (r paceResult) minGap() time.Duration {
	least := time.Duration(math.MaxInt64)
	for i := 1; i < len(r.sends); i++ {
		least = min(least, r.sends[i].Sub(r.sends[i-1]))
	}
	return least
}

// crowd returns the most requests sent within any window of length w.
func (r paceResult) crowd(w time.Duration) int {
	most, lo := 0, 0
	for hi, t := range r.sends {
		for t.Sub(r.sends[lo]) >= w {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// throttleShare returns the share of requests refused with 429.
func (r paceResult) throttleShare() float64 {
	if r.sent == 0 {
		return 0
	}
	return float64(r.throttled) / float64(r.sent)
}

// leftShare returns the share of what the other app left of the account's
// bucket that the run used: the requests admitted against the bucket's
// refill over the run plus the one second's worth it starts with.
func (r paceResult) leftShare(c paceCase) float64 {
	left := c.left()*r.span.Seconds() + c.account
	return float64(r.sent-r.throttled) / left
}

// recorder is an http.RoundTripper that watches the API requests on their
// way to the sandbox.
type recorder struct {
	next http.RoundTripper

	mu       sync.Mutex
	res      paceResult
	inFlight int
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/v2/") {
		return rc.next.RoundTrip(req)
	}
	start := rc.sent()
	resp, err := rc.next.RoundTrip(req)
	rc.done(start, err == nil && resp.StatusCode == http.StatusTooManyRequests)
	return resp, err
}

// sent records a request leaving and returns when it left.
func (rc *recorder) sent() time.Time {
	now := time.Now()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.res.sends = append(rc.res.sends, now)
	rc.res.sent++
	rc.inFlight++
	rc.res.peak = max(rc.res.peak, rc.inFlight)
	return now
}

// done records the answer to a request sent at start.
func (rc *recorder) done(start time.Time, throttled bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.inFlight--
	rc.res.busy += time.Since(start)
	if throttled {
		rc.res.throttled++
		rc.res.refusals = append(rc.res.refusals, time.Now())
	}
}

// result returns what rc saw.
func (rc *recorder) result() paceResult {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	res := rc.res
	if n := len(res.sends); n > 0 {
		res.span = res.sends[n-1].Sub(res.sends[0])
	}
	return res
}

// runPace runs c.rows deactivations as c says and returns what it measured.
func runPace(tb testing.TB, c paceCase) paceResult {
	tb.Helper()
	users := zoomtest.Generate(c.rows)
	sb := zoomtest.New(zoomtest.Options{Users: users, LightRate: c.account,
		BackgroundRate: c.background, Latency: c.latency, BareThrottles: c.bare})
	rec := &recorder{next: sb.Transport()}
	hc := &http.Client{Transport: rec, Timeout: time.Minute}
	tokens := zoom.NewAccountTokens(zoom.Credentials(sb.Credentials()), sb.TokenURL(), hc)
	if !c.cold {
		if _, err := tokens.Token(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
	gate := ratelimit.New(ratelimit.Config{Rate: c.rate, MaxInFlight: c.concurrency, Adaptive: true})
	client, err := zoom.NewClient(zoom.Config{APIURL: sb.APIURL(), Tokens: tokens,
		HTTPClient: hc, Light: gate, MaxAttempts: 5})
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := NewStreamReport(io.Discard)
	if err != nil {
		tb.Fatal(err)
	}

	r := &Runner{Service: client, Concurrency: c.workers(), Report: rep}
	stop := make(chan struct{})
	paces := samplePace(gate, stop)
	err = r.Run(context.Background(), rowsOf(c.list(users), zoom.Deactivate))
	close(stop)
	if err != nil {
		tb.Fatalf("%v: Run() = %v; want nil", c, err)
	}
	if err := rep.Close(); err != nil {
		tb.Fatal(err)
	}

	res := rec.result()
	p := <-paces
	res.minPace, res.maxPace = p[0], p[1]
	res.counts, res.gate = r.Counts(), gate.Stats()
	return res
}

// samplePace reads the gate's pace every 100ms until stop is closed, and
// then sends the slowest and the fastest pace seen.
func samplePace(g *ratelimit.Gate, stop <-chan struct{}) <-chan [2]float64 {
	out := make(chan [2]float64, 1)
	go func() {
		lo, hi := math.Inf(1), math.Inf(-1)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			p := g.Stats().Pace
			lo, hi = min(lo, p), max(hi, p)
			select {
			case <-t.C:
			case <-stop:
				out <- [2]float64{lo, hi}
				return
			}
		}
	}()
	return out
}

// logPace logs the figures of a run.
func logPace(tb testing.TB, c paceCase, r paceResult) {
	tb.Helper()
	tb.Logf("%v: %d rows in %v; %d requests, %d 429s (%.2f%%); %.1f/s, %.3f of %v/s; "+
		"%.3f of the %v/s left; in flight %.1f mean, %d peak; pace %.1f to %.1f/s",
		c, c.rows, r.span.Round(time.Millisecond), r.sent, r.throttled, 100*r.throttleShare(),
		r.rate(), r.rate()/c.rate, c.rate, r.leftShare(c), c.left(), r.inFlight(), r.peak,
		r.minPace, r.maxPace)
}

// checkSpacing reports requests sent closer together than the rate allows:
// the gate lets calls through one at a time, so even retries released by the
// end of a pause leave at least 1/rate apart.
func checkSpacing(t *testing.T, c paceCase, r paceResult) {
	t.Helper()
	least := time.Duration(float64(time.Second)/c.rate) - time.Microsecond
	if got := r.minGap(); got < least {
		t.Errorf("two requests left %v apart; want at least %v at %v/s", got, least, c.rate)
	}
	if r.maxPace > c.rate {
		t.Errorf("pace reached %v/s; want at most the configured %v/s", r.maxPace, c.rate)
	}
}

// checkPause reports requests sent soon after the first 429 came back: it
// pauses every worker for at least half of ratelimit.DefaultThrottlePause.
func checkPause(t *testing.T, r paceResult) {
	t.Helper()
	if len(r.refusals) == 0 {
		t.Fatal("no 429 came back; want some on a shared bucket")
	}
	at := r.refusals[0]
	for _, sent := range r.sends {
		if d := sent.Sub(at); d > 0 && d < ratelimit.DefaultThrottlePause/2 {
			t.Errorf("a request left %v after the first 429; want none for %v",
				d, ratelimit.DefaultThrottlePause/2)
			return
		}
	}
}

// TestPaceReachesRate checks that a run keeps the configured rate whatever
// the latency, never goes over it, and that the sandbox, limited to the same
// rate or more, throttles none of its requests.
func TestPaceReachesRate(t *testing.T) {
	tests := []paceCase{
		{rows: 2000, rate: 80, account: 80, latency: 30 * time.Millisecond},
		{rows: 2000, rate: 80, account: 80, latency: 300 * time.Millisecond},
		{rows: 2000, rate: 80, account: 80, latency: time.Second},
		{rows: 3000, rate: 80, account: 80, latency: 2 * time.Second},
		{rows: 3000, rate: 80, account: 80, latency: 4 * time.Second},
		{rows: 720, rate: 24, account: 30, latency: 300 * time.Millisecond},
		{rows: 500, rate: 20, account: 80, latency: 100 * time.Millisecond},
		{rows: 120, rate: 4, account: 4, latency: 300 * time.Millisecond},
		{rows: 2000, rate: 80, account: 80, latency: 300 * time.Millisecond, concurrency: 64},
	}
	for _, c := range tests {
		t.Run(c.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runPace(t, c)
				logPace(t, c, r)
				checkOutcomes(t, c, r)
				if r.throttled != 0 {
					t.Errorf("sandbox throttled %d requests; want none", r.throttled)
				}
				if got := r.rate() / c.rate; got < 0.95 {
					t.Errorf("achieved %.3f of the rate; want at least 0.95", got)
				}
				checkSpacing(t, c, r)
			})
		})
	}
}

// TestPaceConcurrency checks that --concurrency bounds the requests in
// flight, that no number of workers sends faster than the rate, and that
// enough workers reach it.
func TestPaceConcurrency(t *testing.T) {
	const latency = 100 * time.Millisecond
	for _, n := range []int{1, 2, 8, 64, 512} {
		c := paceCase{rows: 600, rate: 30, account: 30, latency: latency, concurrency: n}
		t.Run(c.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runPace(t, c)
				logPace(t, c, r)
				checkOutcomes(t, c, r)
				if r.throttled != 0 {
					t.Errorf("sandbox throttled %d requests; want none", r.throttled)
				}
				if r.peak > n {
					t.Errorf("%d requests in flight at once; want at most %d", r.peak, n)
				}
				// Workers enough for twice the calls in flight that the rate
				// needs at the latency must reach it.
				enough := float64(n) >= 2*c.rate*latency.Seconds()
				if got := r.rate() / c.rate; enough && got < 0.95 {
					t.Errorf("achieved %.3f of the rate; want at least 0.95", got)
				}
				checkSpacing(t, c, r)
			})
		})
	}
}

// TestPaceSharedBucket checks a run on an account whose bucket another app
// spends part of: the run slows below its ceiling, uses most of what is
// left, and few of its requests are refused, whether or not the 429s carry
// Zoom's headers; a 429 pauses every worker, and the retries that follow
// leave no faster than the pace.
func TestPaceSharedBucket(t *testing.T) {
	tests := []paceCase{
		{rows: 1200, rate: 80, account: 80, background: 40, latency: 30 * time.Millisecond},
		{rows: 1200, rate: 80, account: 80, background: 40, latency: 300 * time.Millisecond},
		{rows: 1200, rate: 80, account: 80, background: 40, latency: 300 * time.Millisecond,
			bare: true},
		{rows: 10000, rate: 80, account: 80, background: 40, latency: 300 * time.Millisecond},
		{rows: 4000, rate: 80, account: 80, background: 40, latency: 300 * time.Millisecond,
			ghosts: true},
		{rows: 600, rate: 80, account: 80, background: 60, latency: 100 * time.Millisecond},
		{rows: 1350, rate: 30, account: 30, background: 15, latency: time.Second},
		{rows: 200, rate: 4, account: 4, background: 2, latency: 300 * time.Millisecond},
	}
	for _, c := range tests {
		t.Run(c.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := runPace(t, c)
				logPace(t, c, r)
				checkOutcomes(t, c, r)
				if got := r.leftShare(c); got < 0.85 {
					t.Errorf("used %.3f of what the other app left; want at least 0.85", got)
				}
				if got := r.throttleShare(); got >= 0.05 {
					t.Errorf("%.3f of requests were refused; want under 0.05", got)
				}
				if r.minPace >= c.rate {
					t.Errorf("pace stayed at %v/s; want it lowered by the 429s", r.minPace)
				}
				checkSpacing(t, c, r)
				checkPause(t, r)
			})
		})
	}
}
