package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// TestProcessRunAgainstSandboxAtItsRate runs the real binary against
// `offboard sandbox` at exactly the account's rate: every user is changed
// once, with no 429 and no redundant call.
func TestProcessRunAgainstSandboxAtItsRate(t *testing.T) {
	needBinary(t)
	const n = 500
	sb := startSandboxProc(t, "--rate", "50", "--latency", "100ms", "--generate", "500")
	file, report := leaversFile(t, n)

	code, stderr := runToEnd(t, sb, 60*time.Second, "run", "--rate", "50", "--yes", file)
	if code != exitOK {
		t.Fatalf("offboard run = exit %d; want 0\n%s", code, stderr)
	}
	checkFinished(t, sb, report, n)
	if st := sb.stats(t); st.Throttled != 0 {
		t.Errorf("sandbox sent %d 429s; want none at its own rate", st.Throttled)
	}
}

// TestProcessReportPipeCloses runs with the report on standard output into a
// reader that quits early, as `| head` does: the run stops with exit 3 and
// says why, instead of dying silently of SIGPIPE.
func TestProcessReportPipeCloses(t *testing.T) {
	needBinary(t)
	sb := startSandboxProc(t, "--rate", "100", "--latency", "10ms", "--generate", "300")
	file, _ := leaversFile(t, 300)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startRunTo(t, sb, w, nil, "run", "--yes", "--rate", "100", "--report", "-", file)
	w.Close()
	lines := bufio.NewScanner(r)
	for i := 0; i < 3 && lines.Scan(); i++ {
	}
	r.Close()
	code := p.wait(t, time.Minute)
	if stderr := p.stderr.String(); code != exitStopped ||
		!strings.Contains(stderr, "report cannot be written") {
		t.Errorf("offboard with its report's reader gone = exit %d, %q; want exit 3 saying "+
			"the report cannot be written", code, stderr)
	}
}
