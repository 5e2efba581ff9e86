package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

var (
	errTransient = errors.New("transient failure")
	errFinal     = errors.New("final failure")
)

// script returns an fn for Call that answers with the given results in
// turn and then succeeds, counting its calls in n.
func script(n *atomic.Int32, results ...Verdict) func(context.Context) (Verdict, error) {
	return func(context.Context) (Verdict, error) {
		i := int(n.Add(1)) - 1
		if i >= len(results) {
			return Verdict{}, nil
		}
		v := results[i]
		switch {
		case v.Throttle:
			return v, errThrottled
		case v.Retry:
			return v, errTransient
		}
		return v, errFinal
	}
}

func TestCallAttempts(t *testing.T) {
	retry := Verdict{Retry: true}
	tests := []struct {
		name        string
		maxAttempts int
		results     []Verdict
		want        int
		wantErr     error
	}{
		{"success", 3, nil, 1, nil},
		{"success after retries", 5, []Verdict{retry, retry}, 3, nil},
		{"attempts run out", 3, []Verdict{retry, retry, retry, retry}, 3, errTransient},
		{"zero attempts means one", 0, []Verdict{retry}, 1, errTransient},
		{"final failure", 5, []Verdict{retry, {}}, 2, errFinal},
		{"throttle then success", 3, []Verdict{{Throttle: true}}, 2, nil},
		{"throttles run out", 2, []Verdict{{Throttle: true}, {Throttle: true}}, 2, errThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := New(Config{Rate: 10})
				var n atomic.Int32
				got, err := g.Call(t.Context(), tt.maxAttempts, script(&n, tt.results...))
				if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Errorf("Call() = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
				}
				if int(n.Load()) != got {
					t.Errorf("fn ran %d times; Call reported %d attempts", n.Load(), got)
				}
				if s := g.Stats(); s.Calls != int64(got) {
					t.Errorf("Stats().Calls = %d; want %d", s.Calls, got)
				}
			})
		})
	}
}

// attemptTimes runs one Call whose fn fails with v every time and returns
// when each attempt started.
func attemptTimes(g *Gate, attempts int, v Verdict) []time.Time {
	var times []time.Time
	_, _ = g.Call(context.Background(), attempts, func(context.Context) (Verdict, error) {
		times = append(times, time.Now())
		return v, errTransient
	})
	return times
}

func TestRetryBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			base    = 100 * time.Millisecond
			maxWait = 5 * time.Second
			callers = 200
			retries = 5
		)
		g := New(Config{BaseBackoff: base, MaxBackoff: maxWait})
		var mu sync.Mutex
		sums := make([]time.Duration, retries)
		firsts := map[time.Duration]bool{}
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				times := attemptTimes(g, retries+1, Verdict{Retry: true})
				mu.Lock()
				defer mu.Unlock()
				last := base
				for i := range retries {
					d := times[i+1].Sub(times[i])
					if d < base || d > min(3*last, maxWait) {
						t.Errorf("retry %d after %v; want within [%v, %v]",
							i+1, d, base, min(3*last, maxWait))
					}
					last = d
					sums[i] += d
				}
				firsts[times[1].Sub(times[0])] = true
			})
		}
		wg.Wait()

		for i := 1; i < retries; i++ {
			if sums[i] <= sums[i-1] {
				t.Errorf("mean delay before retry %d = %v; want more than %v before retry %d",
					i+1, sums[i]/callers, sums[i-1]/callers, i)
			}
		}
		if len(firsts) < callers/2 {
			t.Errorf("first retry delays took %d distinct values over %d callers; want jitter",
				len(firsts), callers)
		}
		if got, want := g.Stats().Retries, int64(callers*(retries+1)); got != want {
			t.Errorf("Stats().Retries = %d; want %d", got, want)
		}
		if g.Stats().Throttled {
			t.Error("Stats().Throttled = true after transient failures only; want false")
		}
	})
}

// Retries of transient failures back off per caller: they must not pause
// the other callers.
func TestRetryDoesNotPauseOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{Rate: 10, BaseBackoff: time.Minute})
		var n atomic.Int32
		go func() { _, _ = g.Call(t.Context(), 2, script(&n, Verdict{Retry: true})) }()
		synctest.Wait()

		start := time.Now()
		done, err := g.Wait(t.Context())
		if err != nil {
			t.Fatalf("Wait() = %v; want nil", err)
		}
		done()
		if got := time.Since(start); got > 100*time.Millisecond {
			t.Errorf("Wait during another caller's backoff took %v; want at most one token", got)
		}
	})
}

func TestThrottleUntilPausesEveryone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 20
		g := New(Config{Rate: rate})
		start := time.Now()
		until := start.Add(3 * time.Second)
		var throttled atomic.Bool
		var throttledAt time.Time // set once, read after the workers end
		var retried atomic.Int64
		rec := &recorder{}
		fn := func(context.Context) (Verdict, error) {
			now := time.Now()
			rec.add(now)
			if time.Since(start) >= time.Second && throttled.CompareAndSwap(false, true) {
				throttledAt = now
				return Verdict{Throttle: true, Until: until}, errThrottled
			}
			time.Sleep(10 * time.Millisecond)
			return Verdict{}, nil
		}

		ctx, cancel := context.WithTimeout(t.Context(), 6*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				for ctx.Err() == nil {
					n, _ := g.Call(ctx, 3, fn)
					if n > 1 {
						retried.Add(1)
					}
				}
			})
		}
		wg.Go(func() {
			time.Sleep(2 * time.Second)
			if s := g.Stats(); !s.Throttled || !s.Until.Equal(until) {
				t.Errorf("Stats() during pause: Throttled %v, Until %v; want true, %v",
					s.Throttled, s.Until, until)
			}
		})
		wg.Wait()

		checkPause(t, rec.sorted(), throttledAt, until, rate)
		if retried.Load() != 1 {
			t.Errorf("calls retried = %d; want 1", retried.Load())
		}
	})
}

// checkPause checks that no call was sent between from and until, and that
// callers resumed at until without a stampede.
func checkPause(t *testing.T, times []time.Time, from, until time.Time, rate float64) {
	t.Helper()
	var after []time.Time
	for _, s := range times {
		if s.After(from) && s.Before(until) {
			t.Errorf("call sent at +%v, during the pause from +%v to +%v",
				s.Sub(times[0]), from.Sub(times[0]), until.Sub(times[0]))
		}
		if !s.Before(until) {
			after = append(after, s)
		}
	}
	if len(after) == 0 {
		t.Fatal("no call sent after the pause")
	}
	if got := after[0].Sub(until); got > time.Second {
		t.Errorf("first call after the pause came %v late; want at most 1s", got)
	}
	if got, want := busiestSecond(after), int(rate)+1; got > want {
		t.Errorf("busiest second after the pause = %d calls; want at most %d", got, want)
	}
}

func TestThrottlePauseGrowsWithStreak(t *testing.T) {
	const tp = 100 * time.Millisecond
	tests := []struct {
		streak int
		want   time.Duration // upper bound of the jittered pause
	}{
		{1, tp}, {2, 2 * tp}, {3, 4 * tp}, {4, 8 * tp}, {5, time.Second}, {30, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("streak %d", tt.streak), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pauses := map[time.Duration]bool{}
				for range 20 {
					g := New(Config{Rate: 10, ThrottlePause: tp, MaxBackoff: time.Second})
					var end time.Time
					for range tt.streak {
						time.Sleep(time.Millisecond)
						end = g.throttle(time.Now(), time.Time{})
					}
					got := time.Until(end)
					if got < tt.want/2 || got > tt.want {
						t.Errorf("pause after %d throttles = %v; want within [%v, %v]",
							tt.streak, got, tt.want/2, tt.want)
					}
					pauses[got] = true
				}
				if len(pauses) < 10 {
					t.Errorf("20 pauses after %d throttles took %d distinct values; want jitter",
						tt.streak, len(pauses))
				}
			})
		})
	}
}

func TestThrottleWithoutUntilPausesEveryone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 50
		g := New(Config{Rate: rate, ThrottlePause: time.Second})
		var n atomic.Int32
		_, _ = g.Call(t.Context(), 1, script(&n, Verdict{Throttle: true}))
		until := g.Stats().Until
		if d := time.Until(until); d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("pause after a throttle = %v; want within [500ms, 1s]", d)
		}

		from := time.Now()
		rec := work(g, 20, 10*time.Millisecond, 3*time.Second)
		checkPause(t, rec.sorted(), from.Add(-time.Nanosecond), until, rate)
	})
}

func TestLongPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{Rate: 10, MaxPause: time.Minute})
		start := time.Now()
		until := start.Add(2 * time.Hour)
		n, err := g.Call(t.Context(), 5, func(context.Context) (Verdict, error) {
			return Verdict{Throttle: true, Until: until}, errThrottled
		})

		if n != 1 || time.Since(start) != 0 {
			t.Errorf("Call() took %d attempts and %v; want 1 attempt at once", n, time.Since(start))
		}
		var lp *LongPauseError
		if !errors.As(err, &lp) || !lp.Until.Equal(until) {
			t.Fatalf("Call() error = %v; want a *LongPauseError until %v", err, until)
		}
		if !errors.Is(err, ErrPauseTooLong) || !errors.Is(err, errThrottled) {
			t.Errorf("Call() error = %v; want it to wrap ErrPauseTooLong and fn's error", err)
		}
		if s := g.Stats(); !s.Until.IsZero() || s.Throttles != 1 {
			t.Errorf("Stats() Until, Throttles = %v, %d; want no pause, 1", s.Until, s.Throttles)
		}
	})
}

func TestPauseWithinMaxPause(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration // Until relative to the throttle
		want  time.Duration // least delay before the retry
	}{
		{"future", 30 * time.Second, 30 * time.Second},
		{"at max pause", time.Minute, time.Minute},
		{"past", -time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := New(Config{Rate: 10, MaxPause: time.Minute})
				times := attemptTimes(g, 2, Verdict{Throttle: true, Until: time.Now().Add(tt.after)})
				got := times[1].Sub(times[0])
				if got < tt.want || got > tt.want+g.cfg.ThrottlePause {
					t.Errorf("retry after %v; want within [%v, %v]",
						got, tt.want, tt.want+g.cfg.ThrottlePause)
				}
			})
		})
	}
}

func TestCallCancel(t *testing.T) {
	tests := []struct {
		name    string
		verdict Verdict
		until   time.Duration // Until relative to the call, if set
	}{
		{"during backoff", Verdict{Retry: true}, 0},
		{"during pause", Verdict{Throttle: true}, 50 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v := tt.verdict
				if tt.until != 0 {
					v.Until = time.Now().Add(tt.until)
				}
				g := New(Config{Rate: 10, BaseBackoff: time.Minute})
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				start := time.Now()
				n, err := g.Call(ctx, 5, func(context.Context) (Verdict, error) {
					return v, errTransient
				})
				if n != 1 || err != context.DeadlineExceeded {
					t.Errorf("Call() = %d, %v; want 1, %v", n, err, context.DeadlineExceeded)
				}
				if got := time.Since(start); got != time.Second {
					t.Errorf("Call returned after %v; want 1s", got)
				}
			})
		})
	}
}
