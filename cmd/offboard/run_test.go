package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/offboard/offboard/zoom/zoomtest"
)

// testEnv is an env whose streams are buffers and whose environment is vars.
func testEnv(vars map[string]string, stdin string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &env{
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return vars[k] },
	}, &stdout, &stderr
}

// runOffboard runs the command line args in process and returns its exit code,
// standard output and standard error.
func runOffboard(
	t *testing.T,
	vars map[string]string,
	stdin string,
	args ...string,
) (int, string, string) {
	t.Helper()
	e, stdout, stderr := testEnv(vars, stdin)
	code := run(context.Background(), args, e)
	return code, stdout.String(), stderr.String()
}

// writeFile writes content to name in a new temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportRows reads a report and returns its data rows keyed by user.
func reportRows(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read report %s: %v", path, err)
	}
	return recs[0], recs[1:]
}

// startSandbox starts a sandbox on loopback and returns it with the
// environment that points offboard at it.
func startSandbox(t *testing.T, opts zoomtest.Options) (*zoomtest.Server, map[string]string) {
	t.Helper()
	sb, err := zoomtest.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	c := sb.Credentials()
	return sb, map[string]string{
		"ZOOM_API_URL":       sb.APIURL(),
		"ZOOM_TOKEN_URL":     sb.TokenURL(),
		"ZOOM_ACCOUNT_ID":    c.AccountID,
		"ZOOM_CLIENT_ID":     c.ClientID,
		"ZOOM_CLIENT_SECRET": c.ClientSecret,
	}
}

func copyDemo(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/leavers.csv")
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "leavers.csv", string(data))
}

func TestRunSandboxDemo(t *testing.T) {
	file := copyDemo(t)
	code, stdout, stderr := runOffboard(t, nil, "", "run", "--sandbox", "--rate", "200", file)
	if code != exitRowsFailed {
		t.Fatalf(
			"run --sandbox demo = exit %d; want %d (some rows fail)\n%s",
			code,
			exitRowsFailed,
			stderr,
		)
	}
	if stdout != "" {
		t.Errorf("stdout = %q; want nothing: the report goes to a file", stdout)
	}
	header, rows := reportRows(t, strings.TrimSuffix(file, ".csv")+".sandbox.report.csv")
	want := "line,user,action,outcome,http_status,zoom_code,message,attempts,tracking_id,finished_at"
	if got := strings.Join(header, ","); got != want {
		t.Errorf("report header = %s; want %s", got, want)
	}
	seen := map[string]bool{}
	last := 0
	for _, r := range rows {
		seen[r[3]+" "+r[5]] = true
		var line int
		for _, c := range r[0] {
			line = line*10 + int(c-'0')
		}
		if line <= last {
			t.Errorf("report line %s after %d; want input order", r[0], last)
		}
		last = line
	}
	for _, want := range []string{"updated ", "failed 1001", "failed 200", "invalid ", "skipped "} {
		if !seen[want] {
			t.Errorf("report has no row %q; outcomes seen: %v", want, seen)
		}
	}
	if !strings.Contains(stderr, "updated") || !strings.Contains(stderr, "Report:") {
		t.Errorf("summary = %q; want counts and the report path", stderr)
	}
}

func TestRunAgainstSandboxServer(t *testing.T) {
	sb, vars := startSandbox(t, zoomtest.Options{LightRate: 100})
	users := zoomtest.Embedded()
	var in strings.Builder
	in.WriteString("email\n")
	var want []string
	for _, u := range users {
		if u.Status == "active" && u.Role == "Member" && !u.ZoomRoom && !u.UpcomingEvents {
			in.WriteString(u.Email + "\n")
			want = append(want, u.Email)
		}
		if len(want) == 5 {
			break
		}
	}
	file := writeFile(t, "leavers.csv", in.String())
	code, _, stderr := runOffboard(t, vars, "", "run", file, "--rate", "50", "--yes")
	if code != exitOK {
		t.Fatalf("run = exit %d; want 0\n%s", code, stderr)
	}
	for _, email := range want {
		if u, ok := sb.User(email); !ok || u.Status != "inactive" {
			t.Errorf("sandbox user %s = %+v; want inactive", email, u)
		}
	}
	for _, s := range []string{vars["ZOOM_CLIENT_SECRET"]} {
		if strings.Contains(stderr, s) {
			t.Errorf("stderr shows the client secret")
		}
	}
}

func TestRunDryRunChangesNothing(t *testing.T) {
	sb, vars := startSandbox(t, zoomtest.Options{LightRate: 100})
	file := copyDemo(t)
	// Flags after FILE are flags, never file names.
	code, _, stderr := runOffboard(t, vars, "", "run", file, "--dry-run")
	if code == exitUsage {
		t.Fatalf("run FILE --dry-run = exit %d\n%s", code, stderr)
	}
	if n := sb.Stats().Requests["PUT"]; n != 0 {
		t.Errorf("dry run sent %d PUT requests; want none", n)
	}
	_, rows := reportRows(t, strings.TrimSuffix(file, ".csv")+".dry-run.csv")
	planned := 0
	for _, r := range rows {
		if r[3] == "updated" {
			t.Errorf("dry run row %v is updated", r)
		}
		if r[3] == "planned" {
			planned++
		}
	}
	if planned == 0 {
		t.Errorf("dry run planned no row: %v", rows)
	}
}

func TestRunUsageErrors(t *testing.T) {
	demo := copyDemo(t)
	existing := writeFile(t, "old.report.csv", "keep")
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"unknown flag", nil, []string{"run", "--dry-runn", demo}, "unknown flag"},
		{"no file", nil, []string{"run"}, "accepts 1 arg"},
		{"bad action", nil, []string{"run", "--sandbox", "--action", "remove", demo}, "--action"},
		{"bad plan", nil, []string{"run", "--sandbox", "--plan", "enterprise", demo}, "--plan"},
		{"bad share", nil, []string{"run", "--sandbox", "--share", "1.5", demo}, "--share"},
		{"stdin without report", nil, []string{"run", "--sandbox", "-"}, "--report"},
		{"offline without dry run", nil, []string{"run", "--offline", demo}, "--dry-run"},
		{"no credentials", nil, []string{"run", demo}, "Server-to-Server OAuth"},
		{"plain http elsewhere", map[string]string{"ZOOM_ACCESS_TOKEN": "t"},
			[]string{"run", "--api-url", "http://zoom.example.com/v2", demo}, "https"},
		{
			"report exists",
			nil,
			[]string{"run", "--sandbox", "--report", existing, demo},
			"already exists",
		},
		{
			"missing file",
			nil,
			[]string{"run", "--sandbox", filepath.Join(t.TempDir(), "nope.csv")},
			"nope.csv",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runOffboard(t, tt.vars, "", tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf(
					"offboard %v = exit %d, %q; want exit 2 saying %q",
					tt.args,
					code,
					stderr,
					tt.want,
				)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr shows a panic: %s", stderr)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Errorf("existing report = %q; want it untouched", b)
	}
}

func TestRunStdinToStdout(t *testing.T) {
	code, stdout, stderr := runOffboard(t, nil, "email\nnobody@nowhere.example\n",
		"run", "--sandbox", "--quiet", "--report", "-", "-")
	if code != exitRowsFailed {
		t.Fatalf("run - = exit %d; want 1\n%s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet stderr = %q; want nothing", stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][3] != "failed" || recs[1][5] != "1001" {
		t.Errorf("report on stdout = %q, %v; want one failed row with code 1001", recs, err)
	}
}

func TestRunDailyLimitStops(t *testing.T) {
	_, vars := startSandbox(
		t,
		zoomtest.Options{LightRate: 100, DailyLimit: 3, Users: zoomtest.Generate(20)},
	)
	var in strings.Builder
	in.WriteString("email\n")
	for _, u := range zoomtest.Generate(20) {
		in.WriteString(u.Email + "\n")
	}
	file := writeFile(t, "leavers.csv", in.String())
	code, _, stderr := runOffboard(t, vars, "", "run", "--concurrency", "1", "--yes", file)
	if code != exitStopped {
		t.Fatalf("run past the daily limit = exit %d; want 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "daily") || !strings.Contains(stderr, "resets at") {
		t.Errorf("stderr = %q; want the daily limit and its reset time", stderr)
	}
	if strings.Contains(stderr, "other apps share") {
		t.Errorf("stderr = %q; want no talk of a shared per-second limit at the daily limit", stderr)
	}
	_, rows := reportRows(t, strings.TrimSuffix(file, ".csv")+".report.csv")
	counts := map[string]int{}
	for _, r := range rows {
		counts[r[3]]++
	}
	if len(rows) != 20 || counts["pending"] == 0 || counts["updated"] > 3 {
		t.Errorf(
			"report outcomes = %v over %d rows; want 20 rows, at most 3 updated, the rest pending",
			counts,
			len(rows),
		)
	}
}

func TestRunPreviewThenRun(t *testing.T) {
	sb, vars := startSandbox(t, zoomtest.Options{LightRate: 100})
	file := writeFile(t, "leavers.csv", "email\ndan.morris@example.com\n")
	for i := range 2 {
		if code, _, stderr := runOffboard(t, vars, "", "run", "--dry-run", file); code != exitOK {
			t.Fatalf(
				"preview %d = exit %d; want 0: a preview's report is replaced\n%s",
				i,
				code,
				stderr,
			)
		}
	}
	if code, _, stderr := runOffboard(t, vars, "", "run", "--yes", file); code != exitOK {
		t.Fatalf("run after preview = exit %d; want 0\n%s", code, stderr)
	}
	_, preview := reportRows(t, strings.TrimSuffix(file, ".csv")+".dry-run.csv")
	_, real := reportRows(t, strings.TrimSuffix(file, ".csv")+".report.csv")
	if preview[0][3] != "planned" || real[0][3] != "updated" {
		t.Errorf("preview, run outcomes = %s, %s; want planned, updated", preview[0][3], real[0][3])
	}
	if u, _ := sb.User("dan.morris@example.com"); u.Status != "inactive" {
		t.Errorf("user status = %s; want inactive", u.Status)
	}
	// The sandbox's own reports are replaced too: it keeps no account to resume.
	for i := range 2 {
		if code, _, stderr := runOffboard(t, nil, "", "run", "--sandbox", file); code != exitOK {
			t.Fatalf("sandbox run %d = exit %d; want 0\n%s", i, code, stderr)
		}
	}
}

func TestRunRefusesReportThatIsNoFile(t *testing.T) {
	file := copyDemo(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Opening a pipe would block until a writer came: none comes.
	for _, path := range []string{t.TempDir(), os.DevNull, "/dev/zero", fifo} {
		for _, resume := range []bool{false, true} {
			args := []string{"run", "--sandbox", "--report", path, file}
			if resume {
				args = append(args, "--resume")
			}
			code, _, stderr := runOffboard(t, nil, "", args...)
			if code != exitUsage || !strings.Contains(stderr, "not a regular file") {
				t.Errorf("offboard %v = exit %d, %q; want exit 2 saying it is not a regular file",
					args, code, stderr)
			}
		}
	}
}

func TestHelpShowsEachCommandsExitCodes(t *testing.T) {
	tests := []struct {
		cmd  string
		want string
	}{
		{"run", "3    the run stopped early"},
		{"sandbox", "0    served until interrupted"},
		{"candidates", "0    the file is written"},
	}
	for _, tt := range tests {
		code, stdout, _ := runOffboard(t, nil, "", tt.cmd, "--help")
		if code != exitOK || !strings.Contains(stdout, tt.want) ||
			!strings.Contains(stdout, "Examples:") {
			t.Errorf(
				"offboard %s --help = exit %d, %q; want examples and %q",
				tt.cmd,
				code,
				stdout,
				tt.want,
			)
		}
	}
	_, _, stderr := runOffboard(t, nil, "", "run", "--dryrun", "x.csv")
	if !strings.Contains(stderr, "offboard run --help") {
		t.Errorf("unknown flag of run says %q; want a pointer to offboard run --help", stderr)
	}
}
