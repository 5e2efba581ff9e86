package main

import (
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
