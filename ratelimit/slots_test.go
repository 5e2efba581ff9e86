package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestInFlightFollowsLatency(t *testing.T) {
	tests := []struct {
		rate         float64
		maxInFlight  int
		latency      time.Duration
		least, most  float64 // achieved calls per second
		mostInFlight int
	}{
		{80, 0, 300 * time.Millisecond, 0.95 * 80, 80, 37},
		{80, 0, 30 * time.Millisecond, 0.95 * 80, 80, 4},
		{80, 0, 2 * time.Second, 0.95 * 80, 80, 241},
		{80, 2, 300 * time.Millisecond, 6.5, 2 / 0.3, 2},
		{4, 0, 300 * time.Millisecond, 0.95 * 4, 4, 2},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%v per second, at most %d, %v", tt.rate, tt.maxInFlight, tt.latency)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const d = 20 * time.Second
				g := New(Config{Rate: tt.rate, MaxInFlight: tt.maxInFlight})
				calls, most := load(g, 200, tt.latency, d)

				got := float64(calls) / d.Seconds()
				if got < tt.least || got > tt.most+1/d.Seconds() {
					t.Errorf("achieved %.2f calls per second; want within [%.2f, %.2f]",
						got, tt.least, tt.most)
				}
				if most > tt.mostInFlight {
					t.Errorf("most calls in flight after the first second = %d; want at most %d",
						most, tt.mostInFlight)
				}
				t.Logf("achieved %.2f/s, at most %d in flight, latency %v",
					got, most, g.Stats().Latency)
			})
		})
	}
}

// load runs workers that pass g through Call and take latency each, until
// d has passed. It returns the calls sent and the most calls in flight seen
// after the first second.
func load(g *Gate, workers int, latency, d time.Duration) (calls, most int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var n atomic.Int64
	var mu sync.Mutex
	fn := func(context.Context) (Verdict, error) {
		if s := g.Stats(); time.Since(start) > time.Second {
			mu.Lock()
			most = max(most, s.InFlight)
			mu.Unlock()
		}
		if time.Since(start) < d {
			n.Add(1)
		}
		time.Sleep(latency)
		return Verdict{}, nil
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = g.Call(ctx, 1, fn)
			}
		})
	}
	wg.Wait()
	return int(n.Load()), most
}
