package ratelimit

import (
	"math"
	"time"
)

// Stats is a snapshot of a Gate's counters and state, for progress reports.
type Stats struct {
	Calls     int64         // attempts let through
	Throttles int64         // attempts refused for pace
	Retries   int64         // attempts that failed transiently
	Pace      float64       // current pace in calls per second
	Ceiling   float64       // Config.Rate; +Inf without a ceiling
	InFlight  int           // calls sent and not yet done
	Slots     int           // current cap on callers holding a slot; 0 for none
	Latency   time.Duration // moving average of call durations
	Throttled bool          // paused, or throttled in the last two seconds
	Until     time.Time     // when the current pause ends; zero if none
	Started   time.Time     // when the Gate was made
	First     time.Time     // when the first call was let through; zero if none
	Last      time.Time     // when the latest call was let through; zero if none
}

// Rate returns the calls let through per second from the first to the
// latest, the pace achieved without the time before the first call or after
// the last. It is zero until two calls have been let through.
func (s Stats) Rate() float64 {
	span := s.Last.Sub(s.First).Seconds()
	if s.Calls < 2 || span <= 0 {
		return 0
	}
	return float64(s.Calls-1) / span
}

// Stats returns a snapshot of the gate's counters and state.
func (g *Gate) Stats() Stats {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	s := Stats{
		Calls:     g.calls,
		Throttles: g.throttles,
		Retries:   g.retries,
		Pace:      g.pace,
		Ceiling:   g.cfg.Rate,
		InFlight:  g.inFlight,
		Slots:     g.slotsLocked(),
		Latency:   time.Duration(g.latency * float64(time.Second)),
		Started:   g.started,
		First:     g.first,
		Last:      g.last,
	}
	if now.Before(g.pauseUntil) {
		s.Until = g.pauseUntil
	}
	s.Throttled = !s.Until.IsZero() ||
		(!g.throttled.IsZero() && now.Sub(g.throttled) < throttledFor)
	if s.Slots == math.MaxInt {
		s.Slots = 0
	}
	return s
}
