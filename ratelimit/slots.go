package ratelimit

import (
	"context"
	"math"
)

// slotHeadroom is how many more slots than pace × latency a Gate allows, so
// that callers queued for a token do not starve the calls in flight.
const slotHeadroom = 1.5

// latencyWeight is the weight of the newest call in the latency average.
const latencyWeight = 0.2

// maxSlots bounds the computed slot count so that a pathological latency
// cannot overflow it.
const maxSlots = 1 << 20

// acquire takes an in-flight slot, waiting in line for one if none is free.
func (g *Gate) acquire(ctx context.Context) error {
	g.mu.Lock()
	if g.waiters.Len() == 0 && g.holders < g.slotsLocked() {
		g.holders++
		g.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	e := g.waiters.PushBack(ready)
	g.mu.Unlock()

	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		select {
		case <-ready:
			// The slot was granted as ctx ended: hand it on.
			g.holders--
		default:
			g.waiters.Remove(e)
		}
		g.grantLocked()
		return ctx.Err()
	}
}

// release frees a slot taken by acquire for a call that was never sent.
func (g *Gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.holders--
	g.grantLocked()
}

// grantLocked hands free slots to waiting callers, first come first served.
func (g *Gate) grantLocked() {
	n := g.slotsLocked()
	for g.holders < n {
		e := g.waiters.Front()
		if e == nil {
			return
		}
		g.waiters.Remove(e)
		g.holders++
		close(e.Value.(chan struct{}))
	}
}

// slotsLocked returns how many callers may hold a slot: pace × latency with
// headroom, within MaxInFlight. Before the first call ends, and without a
// ceiling, only MaxInFlight limits them.
func (g *Gate) slotsLocked() int {
	n := math.MaxInt
	if g.sampled && !math.IsInf(g.pace, 1) {
		n = maxSlots
		if want := g.pace * g.latency * slotHeadroom; want < maxSlots {
			n = int(want) + 1
		}
	}
	if m := g.cfg.MaxInFlight; m > 0 && m < n {
		n = m
	}
	return n
}
