package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/ratelimit"
)

// progress draws a bar on stderr while rows finish, when stderr is a terminal.
type progress struct {
	bar  *progressbar.ProgressBar // nil when nothing is drawn
	gate *ratelimit.Gate
}

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
	return p
}

// add counts a finished row.
func (p *progress) add(batch.Result) {
	if p.bar == nil {
		return
	}
	if p.gate != nil {
		s := p.gate.Stats()
		desc := fmt.Sprintf("rows at %.0f/s", s.Pace)
		if s.Throttled {
			desc += " (throttled by Zoom)"
		}
		p.bar.Describe(desc)
	}
	p.bar.Add(1)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// outcomeOrder is the order of outcomes in the summary.
var outcomeOrder = []batch.Outcome{
	batch.Updated, batch.Unchanged, batch.Planned, batch.Skipped,
	batch.Invalid, batch.Failed, batch.Pending,
}

// printSummary writes the run's summary to w.
func printSummary(w io.Writer, counts map[batch.Outcome]int, elapsed time.Duration,
	gate *ratelimit.Gate, report string) {
	var parts []string
	for _, o := range outcomeOrder {
		if n := counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no rows")
	}
	fmt.Fprintf(w, "%s in %s.\n", strings.Join(parts, ", "), elapsed.Round(100*time.Millisecond))
	if gate != nil {
		s := gate.Stats()
		achieved := 0.0
		if secs := elapsed.Seconds(); secs > 0 {
			achieved = float64(s.Calls) / secs
		}
		fmt.Fprintf(w, "Requests: %d sent, %d throttled (429), %.1f/s against a limit of %.1f/s.\n",
			s.Calls, s.Throttles, achieved, s.Ceiling)
	}
	fmt.Fprintf(w, "Report: %s\n", report)
}
