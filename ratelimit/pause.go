package ratelimit

import (
	"context"
	"math/rand/v2"
	"time"
)

// The adaptive pace control: multiplicative decrease on a throttle without a
// requested time, additive increase on success.
const (
	// decrease is the factor applied to the pace on a throttle.
	decrease = 0.7
	// floorShare is the lowest pace as a share of the ceiling; the floor is
	// also at least one call per second, unless the ceiling is lower.
	floorShare = 1.0 / 20
	// stepShare is how fast the pace creeps back, as a share of the
	// ceiling gained per second of successful calls.
	stepShare = 1.0 / 100
)

// throttledFor is how long after a throttle Stats still reports Throttled.
const throttledFor = 2 * time.Second

// Pause makes every caller wait until t. It extends a pause, never shortens
// one; a t already past does nothing.
func (g *Gate) Pause(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pauseLocked(t)
}

// pauseLocked extends the shared pause to t and tells the callers waiting
// for a token.
func (g *Gate) pauseLocked(t time.Time) {
	if !t.After(g.pauseUntil) || !t.After(time.Now()) {
		return
	}
	g.pauseUntil = t
	if g.paused != nil {
		close(g.paused)
		g.paused = nil
	}
	g.cfg.Logger.Debug("ratelimit: pause", "until", t)
}

// waitPause returns once no pause is in force, or ctx.Err() if ctx ends
// first.
func (g *Gate) waitPause(ctx context.Context) error {
	for {
		g.mu.Lock()
		until := g.pauseUntil
		g.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// pauseSignal returns a channel that is closed when the next pause starts.
func (g *Gate) pauseSignal() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused == nil {
		g.paused = make(chan struct{})
	}
	return g.paused
}

// isPaused reports whether a pause is in force.
func (g *Gate) isPaused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Now().Before(g.pauseUntil)
}

// throttle records a throttle of a call sent at sent and returns when the
// shared pause ends. A server-requested until wins. Without one, the gate
// pauses for a jittered backoff and slows its pace, but only once for the
// calls already in flight when it reacted: a burst of throttles from calls
// sent together counts as one.
func (g *Gate) throttle(sent, until time.Time) time.Time {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.throttles++
	g.throttled = now
	if !until.IsZero() {
		g.pauseLocked(until)
		return g.pauseUntil
	}
	if !sent.After(g.reacted) {
		return g.pauseUntil
	}

	g.reacted = now
	g.streak++
	if g.cfg.Adaptive && g.pace > g.floor {
		g.setPaceLocked(max(g.floor, g.pace*decrease))
		g.cfg.Logger.Debug("ratelimit: slow down", "pace", g.pace)
	}
	g.pauseLocked(now.Add(g.throttlePauseLocked()))
	return g.pauseUntil
}

// throttlePauseLocked returns the shared pause for the current streak of
// throttles: ThrottlePause doubled for each throttle in a row, capped at
// MaxBackoff, jittered over its upper half.
func (g *Gate) throttlePauseLocked() time.Duration {
	d := g.cfg.ThrottlePause
	for i := 1; i < g.streak && d < g.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, g.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// succeed records a call sent at sent that the service answered without
// refusing it for pace: it ends the streak of throttles and creeps the pace
// toward the ceiling. Calls sent before the last reaction to a throttle say
// nothing about the new pace and are ignored.
func (g *Gate) succeed(sent time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !sent.After(g.reacted) {
		return
	}
	g.streak = 0
	if g.cfg.Adaptive && g.pace < g.cfg.Rate {
		// One success in pace per second: the pace gains step per second.
		g.setPaceLocked(min(g.cfg.Rate, g.pace+g.step/g.pace))
	}
}

// setPaceLocked sets the pace of the shared limiter; a faster pace may free
// slots.
func (g *Gate) setPaceLocked(p float64) {
	g.pace = p
	g.lim.SetLimit(limit(p))
	g.grantLocked()
}
