package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestPaceOnThrottles(t *testing.T) {
	tests := []struct {
		name     string
		rate     float64
		adaptive bool
		events   string // T fresh throttle, S throttle of a call sent before the last, U with Until
		want     float64
	}{
		{"one throttle", 80, true, "T", 80 * decrease},
		{"three throttles", 80, true, "TTT", 80 * decrease * decrease * decrease},
		{"burst counts once", 80, true, "TSSSS", 80 * decrease},
		{"until keeps the pace", 80, true, "UUU", 80},
		{"floor at a twentieth", 80, true, "TTTTTTTTTTTTTTTTTTTT", 4},
		{"floor at one per second", 4, true, "TTTTTTTTTT", 1},
		{"ceiling below one", 0.5, true, "TTT", 0.5},
		{"not adaptive", 80, false, "TTT", 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := New(Config{Rate: tt.rate, Adaptive: tt.adaptive})
				var last time.Time
				for _, e := range tt.events {
					time.Sleep(time.Millisecond)
					switch e {
					case 'T':
						last = time.Now()
						g.throttle(last, time.Time{})
					case 'S':
						g.throttle(last.Add(-time.Millisecond), time.Time{})
					case 'U':
						g.throttle(time.Now(), time.Now().Add(time.Second))
					}
				}
				if got := g.Stats().Pace; math.Abs(got-tt.want) > 1e-9 {
					t.Errorf("pace after %s = %v; want %v", tt.events, got, tt.want)
				}
			})
		})
	}
}

// Throttles that arrive together from calls already in flight must cut the
// pace once, not once each.
func TestThrottleBurstCutsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 20
		g := New(Config{Rate: 80, Adaptive: true})
		release := make(chan struct{})
		var wg, inFlight sync.WaitGroup
		inFlight.Add(workers)
		for range workers {
			wg.Go(func() {
				first := true
				_, _ = g.Call(t.Context(), 2, func(context.Context) (Verdict, error) {
					if first {
						first = false
						inFlight.Done()
						<-release
						return Verdict{Throttle: true}, errThrottled
					}
					return Verdict{}, nil
				})
			})
		}
		inFlight.Wait()
		close(release)
		synctest.Wait()

		s := g.Stats()
		if s.Throttles != workers || s.Pace != 80*decrease {
			t.Errorf("after %d throttles at once: Throttles %d, Pace %v; want %d, %v",
				workers, s.Throttles, s.Pace, workers, 80*decrease)
		}
		wg.Wait()
	})
}

func TestPaceRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ceiling = 80
		g := New(Config{Rate: ceiling, Adaptive: true})
		g.throttle(time.Now(), time.Time{})
		low := g.Stats().Pace

		var paces []float64
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 59 {
				time.Sleep(time.Second)
				paces = append(paces, g.Stats().Pace)
			}
		})
		drive(g, newServer(ceiling, 0, 10*time.Millisecond), 20, 3, 60*time.Second)
		wg.Wait()

		for i, p := range paces {
			if p > ceiling {
				t.Errorf("pace at %ds = %v; want at most %v", i+1, p, ceiling)
			}
			if i > 0 && p < paces[i-1] {
				t.Errorf("pace at %ds = %v; want at least %v as before", i+1, p, paces[i-1])
			}
		}
		if got := paces[4]; got <= low || got >= ceiling {
			t.Errorf("pace after 5s of success = %v; want between %v and %v", got, low, ceiling)
		}
		if got := paces[len(paces)-1]; got != ceiling {
			t.Errorf("pace after 60s of success = %v; want %v", got, ceiling)
		}
	})
}

// TestSharedBucket measures how much of an account's bucket the gate uses
// while other apps spend part of it, and how many of its calls are refused.
func TestSharedBucket(t *testing.T) {
	tests := []struct {
		limit, background float64
		latency, d        time.Duration
	}{
		{80, 40, 0, 30 * time.Second},
		{80, 40, 50 * time.Millisecond, 30 * time.Second},
		{80, 40, 300 * time.Millisecond, 30 * time.Second},
		{80, 60, 50 * time.Millisecond, 30 * time.Second},
		{80, 0, 50 * time.Millisecond, 30 * time.Second},
		{30, 15, 100 * time.Millisecond, 30 * time.Second},
		{4, 2, 100 * time.Millisecond, 30 * time.Second},
		{4, 2, 300 * time.Millisecond, 120 * time.Second},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%v of %v per second, %v", tt.background, tt.limit, tt.latency)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newServer(tt.limit, tt.background, tt.latency)
				g := New(Config{Rate: tt.limit, Adaptive: true})
				drive(g, s, 50, 10, tt.d)

				admitted, refused := s.counts()
				left := min(tt.limit-tt.background, tt.limit)*tt.d.Seconds() + tt.limit
				used := float64(admitted) / left
				share := float64(refused) / float64(admitted+refused)
				t.Logf("over %v: used %.1f%% of what is left (%d calls), refused %.1f%% (%d)",
					tt.d, 100*used, admitted, 100*share, refused)
				if used < 0.85 || share >= 0.05 {
					t.Errorf("used %.3f of the bucket, %.3f refused; want at least 0.85, under 0.05",
						used, share)
				}
			})
		})
	}
}

// A call that fails for good, such as one for an unknown user, was answered
// at the pace all the same: it must let the pace recover as a success does,
// while transient failures must not.
func TestPaceRecoversOnAnswers(t *testing.T) {
	errGone := errors.New("no such user")
	tests := []struct {
		name    string
		verdict Verdict
		err     error
		want    float64 // pace after a throttle and 60s of such answers
	}{
		{"successes", Verdict{}, nil, 80},
		{"final failures", Verdict{}, errGone, 80},
		{"transient failures", Verdict{Retry: true}, errGone, 80 * decrease},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := New(Config{Rate: 80, Adaptive: true, BaseBackoff: time.Millisecond,
					MaxBackoff: time.Millisecond})
				time.Sleep(time.Millisecond)
				g.throttle(time.Now(), time.Time{})
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						for ctx.Err() == nil {
							_, _ = g.Call(ctx, 1, func(context.Context) (Verdict, error) {
								time.Sleep(10 * time.Millisecond)
								return tt.verdict, tt.err
							})
						}
					})
				}
				wg.Wait()
				if got := g.Stats().Pace; math.Abs(got-tt.want) > 1e-9 {
					t.Errorf("pace after 60s of %s = %v; want %v", tt.name, got, tt.want)
				}
			})
		})
	}
}
