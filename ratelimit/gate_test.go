package ratelimit

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder collects the times at which calls were sent.
type recorder struct {
	mu    sync.Mutex
	times []time.Time
}

func (r *recorder) add(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times = append(r.times, t)
}

// sorted returns the recorded times in order.
func (r *recorder) sorted() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Clone(r.times)
	slices.SortFunc(s, time.Time.Compare)
	return s
}

// busiestSecond returns the most calls sent within any one second.
func busiestSecond(times []time.Time) int {
	most, j := 0, 0
	for i := range times {
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// work runs workers that pass g and hold each call for latency, recording
// the times of the calls sent before d has passed.
func work(g *Gate, workers int, latency, d time.Duration) *recorder {
	rec := &recorder{}
	end := time.Now().Add(d)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				done, err := g.Wait(ctx)
				if err != nil {
					return
				}
				if now := time.Now(); now.Before(end) {
					rec.add(now)
				}
				time.Sleep(latency)
				done()
			}
		})
	}
	wg.Wait()
	return rec
}

func TestWaitKeepsRate(t *testing.T) {
	tests := []struct {
		name    string
		rate    float64
		latency time.Duration
	}{
		{"free tier, instant", 4, 0},
		{"pro tier, 20ms", 30, 20 * time.Millisecond},
		{"business tier, instant", 80, 0},
		{"business tier, 300ms", 80, 300 * time.Millisecond},
		{"fractional", 2.5, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const d = 10 * time.Second
				g := New(Config{Rate: tt.rate})
				times := work(g, 50, tt.latency, d).sorted()

				if got, want := busiestSecond(times), int(tt.rate)+1; got > want {
					t.Errorf("busiest second = %d calls; want at most %d", got, want)
				}
				if got, want := float64(len(times))/d.Seconds(), 0.95*tt.rate; got < want {
					t.Errorf("achieved rate = %.2f/s; want at least %.2f/s", got, want)
				}
			})
		})
	}
}

func TestWaitNoCeiling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{MaxInFlight: 3})
		rec := work(g, 10, time.Second, 10*time.Second)
		// Three slots held a second each for ten seconds.
		if got, want := len(rec.sorted()), 30; got != want {
			t.Errorf("calls = %d; want %d", got, want)
		}
	})
}

func TestPauseExtendsNeverShortens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{Rate: 10})
		start := time.Now()
		g.Pause(start.Add(5 * time.Second))
		g.Pause(start.Add(2 * time.Second))
		g.Pause(start.Add(-time.Second))
		if got, want := g.Stats().Until, start.Add(5*time.Second); !got.Equal(want) {
			t.Fatalf("Stats().Until = %v; want %v", got, want)
		}

		done, err := g.Wait(t.Context())
		if err != nil {
			t.Fatalf("Wait() = %v; want nil", err)
		}
		done()
		if got, want := time.Since(start), 5*time.Second; got != want {
			t.Errorf("Wait returned after %v; want %v", got, want)
		}
	})
}

// A caller already waiting on its token when a pause starts must wait for
// the pause too.
func TestPauseStopsReservedCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{Rate: 1})
		start := time.Now()
		done, _ := g.Wait(t.Context())
		done()

		passed := make(chan time.Duration)
		go func() {
			done, err := g.Wait(t.Context())
			if err != nil {
				t.Errorf("Wait() = %v; want nil", err)
			}
			done()
			passed <- time.Since(start)
		}()
		time.Sleep(500 * time.Millisecond)
		g.Pause(time.Now().Add(3 * time.Second))

		if got, want := <-passed, 3500*time.Millisecond; got != want {
			t.Errorf("second Wait returned after %v; want %v", got, want)
		}
	})
}

func TestWaitCancel(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		setup func(g *Gate) // makes the next Wait block
	}{
		{"during pause", Config{Rate: 10}, func(g *Gate) {
			g.Pause(time.Now().Add(time.Hour))
		}},
		{"waiting for a slot", Config{Rate: 10, MaxInFlight: 1}, func(g *Gate) {
			_, _ = g.Wait(context.Background())
		}},
		{"waiting for a token", Config{Rate: 0.01}, func(g *Gate) {
			done, _ := g.Wait(context.Background())
			done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := New(tt.cfg)
				tt.setup(g)
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				start := time.Now()
				done, err := g.Wait(ctx)
				if err != context.DeadlineExceeded || done != nil {
					t.Errorf("Wait() = %v, done set %v; want %v, no done",
						err, done != nil, context.DeadlineExceeded)
				}
				if got := time.Since(start); got != time.Second {
					t.Errorf("Wait returned after %v; want 1s", got)
				}
			})
		})
	}
}

// A cancelled wait for a token gives the token back, so the next caller
// is not delayed by it.
func TestWaitCancelReturnsToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{Rate: 0.1})
		start := time.Now()
		done, _ := g.Wait(t.Context())
		done()

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := g.Wait(ctx); err == nil {
			t.Fatal("Wait() = nil; want an error")
		}
		done, err := g.Wait(t.Context())
		if err != nil {
			t.Fatalf("Wait() = %v; want nil", err)
		}
		done()
		if got, want := time.Since(start), 10*time.Second; got != want {
			t.Errorf("third Wait returned after %v; want %v", got, want)
		}
	})
}

func TestMaxInFlightAndDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{MaxInFlight: 1})
		done, _ := g.Wait(t.Context())

		passed := make(chan struct{})
		go func() {
			d, err := g.Wait(t.Context())
			if err != nil {
				t.Errorf("Wait() = %v; want nil", err)
				return
			}
			d()
			close(passed)
		}()
		synctest.Wait()
		select {
		case <-passed:
			t.Fatal("second Wait passed while the only slot was held")
		default:
		}
		if got := g.Stats().InFlight; got != 1 {
			t.Errorf("Stats().InFlight = %d; want 1", got)
		}

		done()
		done() // A second call of done must not free another slot.
		<-passed
		s := g.Stats()
		if s.InFlight != 0 || s.Calls != 2 {
			t.Errorf("Stats() InFlight, Calls = %d, %d; want 0, 2", s.InFlight, s.Calls)
		}
	})
}
