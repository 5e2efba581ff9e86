package ratelimit

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestStatsRate(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    Stats
		want float64
	}{
		{"no call", Stats{}, 0},
		{"one call", Stats{Calls: 1, First: t0, Last: t0}, 0},
		{"two at once", Stats{Calls: 2, First: t0, Last: t0}, 0},
		{"eleven over a second", Stats{Calls: 11, First: t0, Last: t0.Add(time.Second)}, 10},
		{"retries count", Stats{Calls: 41, First: t0, Last: t0.Add(2 * time.Second)}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Rate(); got != tt.want {
				t.Errorf("Rate() of %d calls over %v = %v; want %v",
					tt.s.Calls, tt.s.Last.Sub(tt.s.First), got, tt.want)
			}
		})
	}
}

// The achieved rate leaves out the time before the first call and after the
// last, so a gate that is made long before its calls still reports its pace.
func TestStatsRateLeavesOutIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(Config{Rate: 8})
		made := time.Now()
		time.Sleep(3 * time.Second)
		for range 17 {
			done, err := g.Wait(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			done()
		}
		first := made.Add(3 * time.Second)
		time.Sleep(5 * time.Second)

		s := g.Stats()
		if !s.First.Equal(first) || !s.Last.Equal(first.Add(2*time.Second)) {
			t.Errorf("Stats() First, Last = %v, %v; want %v, %v",
				s.First, s.Last, first, first.Add(2*time.Second))
		}
		if got := s.Rate(); got != 8 {
			t.Errorf("Stats().Rate() = %v; want 8", got)
		}
	})
}
