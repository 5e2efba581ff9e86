package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/ratelimit"
)

// progress draws a bar on stderr while rows finish, when stderr is a
// terminal. Its description tells the pace of the calls and whether Zoom is
// throttling them, refreshed on a timer too, so that a pause shows while no
// row finishes.
type progress struct {
	bar  *progressbar.ProgressBar // nil when nothing is drawn
	gate *ratelimit.Gate
	stop chan struct{} // closed by finish to end refresh; nil without a refresh
	done chan struct{} // closed by refresh when it returns
}

// refreshEvery is how often the bar's description is brought up to date.
const refreshEvery = 500 * time.Millisecond

func newProgress(e *env, f *runFlags, rows int, gate *ratelimit.Gate) *progress {
	p := &progress{gate: gate}
	if f.quiet || !e.stderrTTY {
		return p
	}
	p.bar = progressbar.NewOptions(rows,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("rows"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	if gate != nil {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.refresh()
	}
	return p
}

// refresh redraws the bar with the gate's state until finish is called.
func (p *progress) refresh() {
	defer close(p.done)
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.bar.Describe(describePace(p.gate.Stats(), time.Now()))
			_ = p.bar.Add(0)
		case <-p.stop:
			return
		}
	}
}

// add counts a finished row.
func (p *progress) add(batch.Result) {
	if p.bar == nil {
		return
	}
	if p.gate != nil {
		p.bar.Describe(describePace(p.gate.Stats(), time.Now()))
	}
	_ = p.bar.Add(1)
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	if p.stop != nil {
		close(p.stop)
		<-p.done
	}
	_ = p.bar.Finish()
}

// describePace says how fast calls go and why, for the bar: "rows, 80/s",
// "rows, 56/s of 80/s (throttled by Zoom)", or with the time left of a pause.
func describePace(s ratelimit.Stats, now time.Time) string {
	if math.IsInf(s.Pace, 1) {
		return "rows"
	}
	desc := "rows, " + perSecond(s.Pace)
	if s.Pace < s.Ceiling {
		desc += " of " + perSecond(s.Ceiling)
	}
	switch wait := s.Until.Sub(now); {
	case wait >= time.Second:
		desc += fmt.Sprintf(" (throttled by Zoom, paused %s)", wait.Round(time.Second))
	case s.Throttled:
		desc += " (throttled by Zoom)"
	}
	return desc
}

// perSecond formats a rate of requests: 80/s, 3.2/s, 4/s.
func perSecond(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f/s", r)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", r), ".0") + "/s"
}

// printSummary writes the run's summary to w.
func printSummary(w io.Writer, counts map[batch.Outcome]int, elapsed time.Duration, daily bool,
	gate *ratelimit.Gate, report string) {
	var parts []string
	for _, o := range batch.Outcomes {
		if n := counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no rows")
	}
	fmt.Fprintf(w, "%s in %s.\n", strings.Join(parts, ", "), elapsed.Round(100*time.Millisecond))
	if gate != nil {
		fmt.Fprintln(w, requestsSummary(gate.Stats(), daily))
	}
	fmt.Fprintf(w, "Report: %s\n", report)
}

// requestsSummary tells the requests sent, the 429s met and the average pace
// against the configured rate. The average runs from the first request to
// the last, so that the time spent reading the file, fetching the token or
// waiting for the last answer does not lower it. Unless the 429s were the
// daily limit's, which the stop explains, it says what they mean.
func requestsSummary(s ratelimit.Stats, daily bool) string {
	line := fmt.Sprintf("Requests: %d sent, %d throttled by Zoom (429)", s.Calls, s.Throttles)
	if r := s.Rate(); r > 0 {
		line += ", " + perSecond(r) + " on average"
		if !math.IsInf(s.Ceiling, 1) {
			line += " against the " + perSecond(s.Ceiling) + " allowed"
		}
	}
	line += "."
	if s.Throttles > 0 && !daily {
		line += "\nZoom refused some requests for pace: other apps share the account's limit, " +
			"or the rate is above it. offboard paused and slowed down to fit."
	}
	return line
}

// count formats n with thousands separators, such as 12,345.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural returns n and noun, with an s when n is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}
