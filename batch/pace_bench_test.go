package batch

import (
	"testing"
	"time"
)

// The pace benchmarks run whole batches through a Runner, a zoom.Client and
// a ratelimit.Gate against the in-process sandbox, in real time: each run
// takes 20 to 30 seconds, so run them with -benchtime 1x, for instance
//
//	go test ./batch -run '^$' -bench Pace -benchtime 1x
//
// Each reports its figures with ReportMetric, averaged over b.N runs. The
// first token is fetched by the first call, as offboard run does.

// benchPace runs c b.N times and reports the figures named in metrics.
func benchPace(b *testing.B, c paceCase, metrics ...string) {
	c.cold = true
	var sum map[string]float64
	for b.Loop() {
		r := runPace(b, c)
		if r.counts[Updated] != c.rows {
			b.Fatalf("%v: outcomes = %v; want %d updated", c, r.counts, c.rows)
		}
		logPace(b, c, r)
		sum = addFigures(sum, paceFigures(c, r))
	}
	for _, m := range metrics {
		b.ReportMetric(sum[m]/float64(b.N), m)
	}
}

// paceFigures returns the figures of a run by metric name.
func paceFigures(c paceCase, r paceResult) map[string]float64 {
	return map[string]float64{
		"achieved/configured": r.rate() / c.rate,
		"used/left":           r.leftShare(c),
		"429s":                float64(r.throttled),
		"429s/request":        r.throttleShare(),
		"requests":            float64(r.sent),
		"in-flight":           r.inFlight(),
		"peak-in-flight":      float64(r.peak),
		"crowd":               float64(r.crowd(time.Duration(float64(time.Second) / c.rate))),
	}
}

// addFigures adds the figures of one run to the sums.
func addFigures(sum, f map[string]float64) map[string]float64 {
	if sum == nil {
		sum = make(map[string]float64, len(f))
	}
	for k, v := range f {
		sum[k] += v
	}
	return sum
}

// BenchmarkPaceLatency measures the rate achieved against the configured
// one when the account allows exactly that rate, at a fast and at a slow
// latency. The crowd is the most requests sent within one interval of the
// rate: more than one means a burst, such as the calls that waited for the
// first token.
func BenchmarkPaceLatency(b *testing.B) {
	for _, l := range []time.Duration{30 * time.Millisecond, 300 * time.Millisecond} {
		c := paceCase{rows: 2000, rate: 80, account: 80, latency: l}
		b.Run(l.String(), func(b *testing.B) {
			benchPace(b, c, "achieved/configured", "429s", "in-flight", "peak-in-flight", "crowd")
		})
	}
}

// BenchmarkPaceSharedBucket measures a run asking for an account's full
// 80/s while another app spends 40/s of it: the share of the 40/s left that
// the run used, and the share of its requests refused, with Zoom's headers
// on the 429s and without any.
func BenchmarkPaceSharedBucket(b *testing.B) {
	for _, bare := range []bool{false, true} {
		name := "headers"
		if bare {
			name = "bare"
		}
		c := paceCase{rows: 1200, rate: 80, account: 80, background: 40,
			latency: 300 * time.Millisecond, bare: bare}
		b.Run(name, func(b *testing.B) {
			benchPace(b, c, "used/left", "429s/request", "429s", "requests")
		})
	}
}

// BenchmarkPaceSetRate measures a few thousand rows at a set rate on an
// account that allows it.
func BenchmarkPaceSetRate(b *testing.B) {
	c := paceCase{rows: 3000, rate: 150, account: 150, latency: 100 * time.Millisecond}
	benchPace(b, c, "achieved/configured", "429s", "requests")
}
