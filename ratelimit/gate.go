// Package ratelimit paces calls to a rate-limited service shared by many workers.
package ratelimit

import (
	"container/list"
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Config says how a Gate paces calls. The zero value of a duration field
// selects its default.
type Config struct {
	// Rate is the ceiling in calls per second. It is never exceeded;
	// adaptation only slows below it. Zero or less means no ceiling.
	Rate float64

	// MaxInFlight caps the calls in flight. Zero means no cap beyond what
	// the rate needs at the observed latency.
	MaxInFlight int

	// Adaptive lowers the pace on throttles without a requested time and
	// creeps back toward Rate while calls are answered without a throttle,
	// whether they succeed or fail for good.
	Adaptive bool

	// MaxPause is the longest server-requested wait a Gate honours. A
	// throttle asking for more is not waited: Call returns at once with a
	// *LongPauseError. The default is one minute.
	MaxPause time.Duration

	// BaseBackoff and MaxBackoff bound one caller's backoff between retries
	// of transient failures, with decorrelated jitter: each delay is drawn
	// between BaseBackoff and three times the last delay, capped at
	// MaxBackoff. The defaults are 500ms and 30s.
	BaseBackoff, MaxBackoff time.Duration

	// ThrottlePause is the first shared pause after a throttle without a
	// requested time. It doubles with each throttle in a row, up to
	// MaxBackoff, and is jittered. The default is 200ms.
	ThrottlePause time.Duration

	// Logger receives pauses and pace decreases at debug level. Nil
	// discards them.
	Logger *slog.Logger
}

// The defaults of Config's duration fields.
const (
	DefaultMaxPause      = time.Minute
	DefaultBaseBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultThrottlePause = 200 * time.Millisecond
)

// withDefaults returns c with its unset fields filled in.
func (c Config) withDefaults() Config {
	if c.Rate <= 0 || math.IsNaN(c.Rate) {
		c.Rate = math.Inf(1)
	}
	if c.MaxPause <= 0 {
		c.MaxPause = DefaultMaxPause
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = DefaultBaseBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	c.MaxBackoff = max(c.MaxBackoff, c.BaseBackoff)
	if c.ThrottlePause <= 0 {
		c.ThrottlePause = DefaultThrottlePause
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// A Gate paces the calls of every worker that shares it. One token bucket
// with a burst of one spaces all calls at the pace, so N workers together
// never exceed Config.Rate. A throttle pauses every caller: until the time
// the server asked for, or else for a short jittered backoff that grows with
// each throttle in a row. With Config.Adaptive, a throttle without a time
// also cuts the pace, once for all the calls then in flight, and the pace
// creeps back toward the ceiling while calls are answered. The callers
// allowed to hold a slot follow pace × observed latency with headroom, so the
// pace is reached at any latency without an unbounded pile of calls.
//
// Only Call learns how attempts end; callers of Wait report throttles
// through Pause. All methods are safe for concurrent use.
type Gate struct {
	cfg     Config
	lim     *rate.Limiter
	turn    chan struct{} // held by the one caller waiting on lim
	floor   float64       // lowest adaptive pace
	step    float64       // adaptive increase, in calls per second gained per second
	started time.Time

	// mu guards the fields below.
	mu         sync.Mutex
	pace       float64
	pauseUntil time.Time
	paused     chan struct{} // closed when a pause starts or grows; nil until wanted
	holders    int           // callers holding a slot: waiting for a token or in flight
	inFlight   int           // calls sent and not yet done
	waiters    list.List     // of chan struct{}, callers waiting for a slot
	sampled    bool          // whether latency holds an observation
	latency    float64       // moving average of call durations, in seconds
	reacted    time.Time     // when the gate last reacted to a throttle without a time
	streak     int           // throttles reacted to since the last success
	throttled  time.Time     // when the last throttle arrived
	first      time.Time     // when the first call was let through
	last       time.Time     // when the latest call was let through
	calls      int64
	throttles  int64
	retries    int64
}

// New returns a Gate that paces calls as c says.
func New(c Config) *Gate {
	c = c.withDefaults()
	g := &Gate{cfg: c, pace: c.Rate, started: time.Now(), turn: make(chan struct{}, 1)}
	g.lim = rate.NewLimiter(limit(c.Rate), 1)
	g.floor = max(c.Rate*floorShare, min(c.Rate, 1))
	g.step = c.Rate * stepShare
	return g
}

// limit converts a pace in calls per second to a rate.Limit.
func limit(pace float64) rate.Limit {
	if math.IsInf(pace, 1) {
		return rate.Inf
	}
	return rate.Limit(pace)
}

// Wait blocks until the caller may send one call: any shared pause is over,
// a token is available and an in-flight slot is free. It returns ctx.Err()
// if ctx ends first. Callers must call the returned done func once the call
// is over: it frees the slot and records the call's latency. Extra calls of
// done do nothing.
func (g *Gate) Wait(ctx context.Context) (done func(), err error) {
	sent, err := g.wait(ctx)
	if err != nil {
		return nil, err
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			g.finish(sent)
		}
	}, nil
}

// wait is Wait without the done func: it returns when the call was let
// through, to be passed to finish.
func (g *Gate) wait(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	if err := g.acquire(ctx); err != nil {
		return time.Time{}, err
	}
	if err := g.pass(ctx); err != nil {
		g.release()
		return time.Time{}, err
	}

	now := time.Now()
	g.mu.Lock()
	g.calls++
	g.inFlight++
	if g.first.IsZero() {
		g.first = now
	}
	g.last = now
	g.mu.Unlock()
	return now, nil
}

// finish ends a call sent at sent: it frees its slot and folds its duration
// into the latency average.
func (g *Gate) finish(sent time.Time) {
	d := time.Since(sent).Seconds()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	g.holders--
	if g.sampled {
		g.latency += latencyWeight * (d - g.latency)
	} else {
		g.latency, g.sampled = d, true
	}
	g.grantLocked()
}

// pass waits for the shared pause to end and for a token. Callers take
// turns at the limiter, so at most one holds a reservation: a pause that
// starts meanwhile cancels it whole and sends the caller back to wait for
// the pause, and callers released by the end of a pause leave one token
// apart.
func (g *Gate) pass(ctx context.Context) error {
	select {
	case g.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.turn }()

	for {
		if err := g.waitPause(ctx); err != nil {
			return err
		}
		r := g.lim.Reserve()
		d := r.Delay()
		if d <= 0 {
			return nil
		}

		paused := g.pauseSignal()
		t := time.NewTimer(d)
		select {
		case <-t.C:
			if !g.isPaused() {
				return nil
			}
		case <-paused:
			t.Stop()
			r.Cancel()
		case <-ctx.Done():
			t.Stop()
			r.Cancel()
			return ctx.Err()
		}
	}
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
