package main

// The tests in this file run the real offboard binary against an offboard
// sandbox process, and stop it the ways runs get stopped: SIGKILL at a
// random moment, SIGINT and SIGTERM, Zoom's daily limit, a report that can
// no longer grow. Each checks, from the sandbox's own counts, that no row
// was lost and no user got a status call after a successful one.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/offboard/offboard/zoom/zoomtest"
)

// binary is the offboard binary TestMain builds; empty under -short.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "offboard-process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "process tests:", err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "offboard")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "process tests: build offboard:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func needBinary(t *testing.T) {
	t.Helper()
	if binary == "" {
		t.Skip("process tests run the built binary; skipped with -short")
	}
}

// sandboxProc is an offboard sandbox process.
type sandboxProc struct {
	base string            // http://127.0.0.1:PORT
	vars map[string]string // the ZOOM_ settings it printed
}

// startSandboxProc starts offboard sandbox with args on a loopback port and
// reads the settings it prints. It is killed when the test ends.
func startSandboxProc(t *testing.T, args ...string) *sandboxProc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sandbox", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = cleanEnv(nil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sb := &sandboxProc{vars: make(map[string]string)}
	lines := bufio.NewScanner(out)
	for len(sb.vars) < 5 && lines.Scan() {
		k, v, _ := strings.Cut(lines.Text(), "=")
		sb.vars[k] = v
	}
	api, ok := strings.CutSuffix(sb.vars["ZOOM_API_URL"], "/v2")
	if !ok || !strings.HasPrefix(api, "http://127.0.0.1:") {
		t.Fatalf("offboard sandbox printed %q; want the ZOOM_ settings on loopback\n%s",
			sb.vars["ZOOM_API_URL"], stderr.String())
	}
	sb.base = api
	return sb
}

// cleanEnv returns this process's environment without any ZOOM_ setting,
// with vars added: the runs must reach the sandbox and nothing else.
func cleanEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ZOOM_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// stats gets the sandbox's counts.
func (sb *sandboxProc) stats(t *testing.T) zoomtest.Stats {
	t.Helper()
	resp, err := http.Get(sb.base + "/_sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st zoomtest.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode sandbox stats: %v", err)
	}
	return st
}

// resetDaily starts a new day for the sandbox's daily limit.
func (sb *sandboxProc) resetDaily(t *testing.T) {
	t.Helper()
	resp, err := http.Post(sb.base+"/_sandbox/reset-daily", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /_sandbox/reset-daily = %d; want 204", resp.StatusCode)
	}
}

// runProc is one offboard run process.
type runProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	code   int
}

// startRun starts offboard with args, its environment pointing at sb. A
// non-empty prefix runs it through that command, such as a shell that
// limits it first.
func startRun(t *testing.T, sb *sandboxProc, prefix []string, args ...string) *runProc {
	t.Helper()
	return startRunTo(t, sb, nil, prefix, args...)
}

// startRunTo is startRun with the run's standard output going to stdout.
func startRunTo(t *testing.T, sb *sandboxProc, stdout io.Writer, prefix []string,
	args ...string) *runProc {
	t.Helper()
	argv := append(append(prefix, binary), args...)
	p := &runProc{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	p.cmd.Env = cleanEnv(sb.vars)
	p.cmd.Stdout = stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ProcessState.ExitCode() < 0 {
			p.code = -1 // killed by a signal
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the run to end, at most limit, and returns its exit code.
func (p *runProc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("offboard %v still running after %v\n%s", p.cmd.Args[1:], limit, p.stderr.String())
	}
	return p.code
}

// signal sends sig to the run.
func (p *runProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
}

// runToEnd runs offboard to its end and returns the exit code and stderr,
// which must never show the client secret.
func runToEnd(t *testing.T, sb *sandboxProc, limit time.Duration, args ...string) (int, string) {
	t.Helper()
	p := startRun(t, sb, nil, args...)
	code := p.wait(t, limit)
	stderr := p.stderr.String()
	if strings.Contains(stderr, sb.vars["ZOOM_CLIENT_SECRET"]) {
		t.Errorf("offboard %v printed the client secret", args)
	}
	return code, stderr
}

// eventually polls cond until it holds, failing the test after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leaversFile writes an input file naming the first n generated users of
// a sandbox, and returns its path and its report's.
func leaversFile(t *testing.T, n int) (file, report string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "user%05d@example.com\n", i)
	}
	file = writeFile(t, "leavers.csv", b.String())
	return file, strings.TrimSuffix(file, ".csv") + ".report.csv"
}

// readReportFile reads a report's data records.
func readReportFile(t *testing.T, path string) [][]string {
	t.Helper()
	_, rows := reportRows(t, path)
	return rows
}

func outcomes(rows [][]string) map[string]int {
	counts := map[string]int{}
	for _, r := range rows {
		counts[r[3]]++
	}
	return counts
}

// checkFinished checks the end state of a run of n leavers that finished:
// every user is inactive and got exactly one status call, which the sandbox
// did not find redundant, and the report holds one line per row, in input
// order, each updated or unchanged.
func checkFinished(t *testing.T, sb *sandboxProc, report string, n int) {
	t.Helper()
	st := sb.stats(t)
	bad := 0
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("user%05d@example.com", i)
		u := st.Users[email]
		if u.Status != "inactive" || u.StatusCalls != 1 || u.RedundantStatusCalls != 0 {
			if bad++; bad <= 5 {
				t.Errorf("sandbox user %s = %+v; want inactive after one status call, "+
					"none redundant", email, u)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... and %d more users", bad-5)
	}
	rows := readReportFile(t, report)
	if len(rows) != n {
		t.Errorf("report has %d rows; want %d, one per input row", len(rows), n)
	}
	for i, r := range rows {
		if r[0] != strconv.Itoa(i+2) || r[1] != fmt.Sprintf("user%05d@example.com", i+1) {
			t.Errorf("report row %d = line %s %s; want line %d in input order",
				i+1, r[0], r[1], i+2)
			break
		}
		if r[3] != "updated" && r[3] != "unchanged" {
			t.Errorf("report line %s = %q; want updated or unchanged", r[0], r)
		}
	}
	t.Logf("end state: %v; %d status calls, %d gets, %d 429s, %d tokens, %d 5xx, %d resets",
		outcomes(rows), st.StatusCalls, st.Gets, st.Throttled, st.TokensIssued, st.Failures,
		st.Resets)
}

func TestProcessKillAndResume(t *testing.T) {
	needBinary(t)
	const n = 400
	sb := startSandboxProc(t, "--generate", strconv.Itoa(n), "--rate", "100", "--latency", "35ms")
	file, report := leaversFile(t, n)
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill times drawn with seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	kills := 0
	for i := range 6 {
		args := []string{"run", "--rate", "100", "--yes", "--quiet", file}
		if fileExists(report) {
			args = append(args, "--resume")
		}
		// The default pool holds two seconds of rows, many of them in flight
		// at the kill; a small one makes progress even between quick kills.
		if workers := []string{"", "8", "32"}[rng.IntN(3)]; workers != "" {
			args = append(args, "--concurrency", workers)
		}
		p := startRun(t, sb, nil, args...)
		at := time.Duration(200+rng.IntN(1800)) * time.Millisecond
		select {
		case <-p.done:
			t.Fatalf("run %d ended before its kill at %v: exit %d\n%s",
				i+1, at, p.code, p.stderr.String())
		case <-time.After(at):
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		kills++
		t.Logf("run %d %q killed after %v: report has %d lines", i+1, args[6:], at,
			len(journalLines(t, report)))
	}
	code, stderr := runToEnd(t, sb, time.Minute, "run", "--rate", "100", "--yes", "--resume", file)
	if code != exitOK {
		t.Fatalf("last resume after %d kills = exit %d; want 0\n%s", kills, code, stderr)
	}
	checkFinished(t, sb, report, n)
}

// journalLines returns the raw lines of a report, which may be torn.
func journalLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestProcessInterrupt(t *testing.T) {
	needBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			const n = 300
			sb := startSandboxProc(t, "--generate", strconv.Itoa(n), "--rate", "100",
				"--latency", "35ms")
			file, report := leaversFile(t, n)
			p := startRun(t, sb, nil, "run", "--rate", "100", "--yes", file)
			eventually(t, 20*time.Second, "the run changes users", func() bool {
				return sb.stats(t).StatusCalls >= 60
			})
			atSignal := sb.stats(t).StatusCalls
			p.signal(t, sig)
			if code := p.wait(t, 10*time.Second); code != exitInterrupted {
				t.Fatalf("run after %v = exit %d; want 130\n%s", sig, code, p.stderr.String())
			}
			// Calls in flight may finish; no row waiting for its turn is sent.
			after := sb.stats(t).StatusCalls - atSignal
			if after > 20 {
				t.Errorf("%d status calls reached the sandbox after %v; want only those in flight",
					after, sig)
			}
			t.Logf("%d status calls before %v, %d after", atSignal, sig, after)
			if stderr := p.stderr.String(); !strings.Contains(stderr, "offboard run --resume") {
				t.Errorf("stderr = %q; want the command that resumes the run", stderr)
			}
			checkPending(t, report, n)
			code, stderr := runToEnd(t, sb, time.Minute,
				"run", "--rate", "100", "--yes", "--resume", file)
			if code != exitOK {
				t.Fatalf("resume after %v = exit %d; want 0\n%s", sig, code, stderr)
			}
			checkFinished(t, sb, report, n)
		})
	}
}

// checkPending checks the report of an interrupted run of n rows: one line
// per row, each updated or pending, and some pending.
func checkPending(t *testing.T, report string, n int) {
	t.Helper()
	rows := readReportFile(t, report)
	counts := outcomes(rows)
	if len(rows) != n || counts["pending"] == 0 || counts["updated"]+counts["pending"] != n {
		t.Errorf("report of the stopped run = %v over %d rows; want %d rows, updated or pending",
			counts, len(rows), n)
	}
	for _, r := range rows {
		if r[3] == "pending" && r[6] == "" {
			t.Errorf("pending line %s has no message saying why", r[0])
		}
	}
}

func TestProcessInterruptWithCallsInFlight(t *testing.T) {
	needBinary(t)
	tests := []struct {
		name     string
		latency  string
		signals  int
		min, max time.Duration // from the first signal to the exit
	}{
		// A second interrupt gives up the calls in flight at once.
		{"second interrupt", "3s", 2, 0, 1500 * time.Millisecond},
		// Otherwise they get five seconds.
		{"grace runs out", "10s", 1, 4500 * time.Millisecond, 8 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startSandboxProc(t, "--generate", "40", "--rate", "100", "--latency", tt.latency)
			file, report := leaversFile(t, 40)
			p := startRun(t, sb, nil, "run", "--rate", "100", "--concurrency", "4", "--yes", file)
			eventually(t, 20*time.Second, "status calls are in flight", func() bool {
				return sb.stats(t).Requests["PUT"] >= 4
			})
			start := time.Now()
			for range tt.signals {
				p.signal(t, syscall.SIGINT)
				time.Sleep(100 * time.Millisecond)
			}
			code := p.wait(t, 20*time.Second)
			took := time.Since(start)
			if code != exitInterrupted || took < tt.min || took > tt.max {
				t.Errorf("run after %d interrupts = exit %d in %v; want 130 in %v to %v\n%s",
					tt.signals, code, took.Round(time.Millisecond), tt.min, tt.max,
					p.stderr.String())
			}
			rows := readReportFile(t, report)
			abandoned := 0
			for _, r := range rows {
				inFlight := strings.HasPrefix(r[6], "abandoned in flight") && r[7] != ""
				if r[3] == "pending" && inFlight {
					abandoned++
				}
			}
			if len(rows) != 40 || abandoned == 0 {
				t.Errorf("report = %v over %d rows with %d abandoned in flight; want 40 rows, "+
					"the calls in flight abandoned", outcomes(rows), len(rows), abandoned)
			}
		})
	}
}

func TestProcessDailyLimitAndResume(t *testing.T) {
	needBinary(t)
	const n, daily = 300, 120
	sb := startSandboxProc(t, "--generate", strconv.Itoa(n), "--rate", "100", "--latency", "20ms",
		"--daily-limit", strconv.Itoa(daily))
	file, report := leaversFile(t, n)
	code, stderr := runToEnd(t, sb, 30*time.Second, "run", "--rate", "100", "--yes", file)
	if code != exitStopped {
		t.Fatalf("run into the daily limit = exit %d; want 3\n%s", code, stderr)
	}
	reset := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	for _, want := range []string{"daily", "resets at " + reset.Format(time.RFC3339), "local time",
		"offboard run --resume"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q; want it to say %q", stderr, want)
		}
	}
	rows := readReportFile(t, report)
	counts := outcomes(rows)
	if len(rows) != n || counts["updated"] > daily || counts["updated"]+counts["pending"] != n {
		t.Errorf("report = %v over %d rows; want %d rows, at most %d updated, the rest pending",
			counts, len(rows), n, daily)
	}

	// The next day, the resume finishes the run.
	sb.resetDaily(t)
	sb.resetDaily(t) // twice does no harm
	code, stderr = runToEnd(t, sb, time.Minute, "run", "--rate", "100", "--yes", "--resume", file)
	if code != exitStopped && code != exitOK {
		t.Fatalf("resume after the reset = exit %d; want 0, or 3 if the limit came again\n%s",
			code, stderr)
	}
	for code == exitStopped {
		sb.resetDaily(t)
		code, stderr = runToEnd(t, sb, time.Minute,
			"run", "--rate", "100", "--yes", "--resume", file)
	}
	if code != exitOK {
		t.Fatalf("resume after the reset = exit %d; want 0\n%s", code, stderr)
	}
	checkFinished(t, sb, report, n)
}

func TestProcessFlakyZoomLongRun(t *testing.T) {
	needBinary(t)
	const n = 2000
	sb := startSandboxProc(t, "--generate", strconv.Itoa(n), "--rate", "200", "--latency", "20ms",
		"--fail-rate", "0.05", "--reset-rate", "0.02", "--token-ttl", "5s")
	file, report := leaversFile(t, n)
	start := time.Now()
	code, stderr := runToEnd(t, sb, 90*time.Second, "run", "--rate", "200", "--yes", file)
	took := time.Since(start)
	for resumes := 0; code == exitRowsFailed && resumes < 3; resumes++ {
		// Rows that ran out of attempts are failed, and say that a resume retries them.
		for _, r := range readReportFile(t, report) {
			if r[3] == "failed" && !strings.Contains(r[6], "--resume") {
				t.Errorf("failed line %s = %q; want it to say --resume retries it", r[0], r[6])
			}
		}
		code, stderr = runToEnd(t, sb, 30*time.Second,
			"run", "--rate", "200", "--yes", "--resume", file)
	}
	if code != exitOK {
		t.Fatalf("run with faults = exit %d; want 0, after at most 3 resumes\n%s", code, stderr)
	}
	st := sb.stats(t)
	// The run outlives its tokens: it renews them, and no row fails for one
	// (checkFinished wants every row updated). How many it needs depends on
	// how long the run keeps calling, which retries stretch: at least two.
	if st.TokensIssued < 2 || took < 5*time.Second {
		t.Errorf("sandbox issued %d tokens over %v with 5s tokens; want a run longer than "+
			"a token, and renewals", st.TokensIssued, took.Round(time.Second))
	}
	if st.Failures == 0 || st.Resets == 0 {
		t.Errorf("sandbox sent %d 5xx and dropped %d connections; want some of each",
			st.Failures, st.Resets)
	}
	checkFinished(t, sb, report, n)
}

func TestProcessReportUnwritable(t *testing.T) {
	needBinary(t)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to limit the file size with")
	}
	const n = 400
	sb := startSandboxProc(t, "--generate", strconv.Itoa(n), "--rate", "100", "--latency", "20ms")
	file, report := leaversFile(t, n)
	// A file size limit makes the report's writes fail as on a full disk,
	// even for root: 16 blocks of 512 bytes hold about 80 rows.
	limit := []string{sh, "-c", `ulimit -f 16 && exec "$0" "$@"`}
	p := startRun(t, sb, limit, "run", "--rate", "100", "--yes", file)
	code := p.wait(t, 30*time.Second)
	stderr := p.stderr.String()
	if code != exitStopped || !strings.Contains(stderr, "report cannot be written") {
		t.Fatalf("run whose report cannot grow = exit %d; want 3 saying so\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "offboard run --resume") {
		t.Errorf("stderr = %q; want the command that finishes the run", stderr)
	}
	st := sb.stats(t)
	recorded := len(journalLines(t, report)) - 1
	if st.StatusCalls >= n || st.StatusCalls > recorded+30 {
		t.Errorf("sandbox got %d status calls with %d rows recorded; want the run stopped at once",
			st.StatusCalls, recorded)
	}
	t.Logf("stopped with %d rows recorded, %d status calls", recorded, st.StatusCalls)

	// With room again, the resume checks the unrecorded rows and finishes.
	code, stderr = runToEnd(t, sb, time.Minute, "run", "--rate", "100", "--yes", "--resume", file)
	if code != exitOK {
		t.Fatalf("resume with room again = exit %d; want 0\n%s", code, stderr)
	}
	checkFinished(t, sb, report, n)
}

func TestProcessReportRefused(t *testing.T) {
	needBinary(t)
	sb := startSandboxProc(t, "--generate", "20", "--rate", "100", "--latency", "5ms")
	file, report := leaversFile(t, 20)
	other := writeFile(t, "other.csv", "email\nuser00001@example.com\nuser00003@example.com\n")
	notDir := writeFile(t, "plain", "a file, not a directory")
	code, stderr := runToEnd(t, sb, 30*time.Second, "run", "--yes", "--quiet", file)
	if code != exitOK {
		t.Fatalf("first run = exit %d; want 0\n%s", code, stderr)
	}
	before, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"report exists", []string{"run", "--yes", file},
			[]string{"already exists", "--resume", "--report"}},
		{"another file", []string{"run", "--yes", "--resume", "--report", report, other},
			[]string{"line 3", "not the file"}},
		{"report cannot be created", []string{"run", "--yes", "--report",
			filepath.Join(notDir, "r.csv"), file}, []string{"create report"}},
		{"nothing to resume", []string{"run", "--yes", "--resume", "--report",
			filepath.Join(t.TempDir(), "none.csv"), file},
			[]string{"no report", "without --resume"}},
	}
	calls := sb.stats(t).StatusCalls
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runToEnd(t, sb, 30*time.Second, tt.args...)
			if code != exitUsage {
				t.Errorf("offboard %v = exit %d; want 2\n%s", tt.args, code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("offboard %v: stderr = %q; want it to say %q", tt.args, stderr, w)
				}
			}
		})
	}
	if after := sb.stats(t).StatusCalls; after != calls {
		t.Errorf("refused runs sent %d status calls; want none", after-calls)
	}
	if now, _ := os.ReadFile(report); !bytes.Equal(now, before) {
		t.Errorf("report changed by runs that were refused")
	}
}
