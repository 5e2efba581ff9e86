package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

// guardSandbox starts a sandbox of the demo directory, checked against
// Zoom's spec, with opts' scopes and a quick rate.
func guardSandbox(t *testing.T, opts zoomtest.Options) (*zoomtest.Server, map[string]string) {
	t.Helper()
	opts.Wrap = spectest.Load(t).Wrap(t)
	opts.LightRate = 500
	opts.MediumRate = 500
	return startSandbox(t, opts)
}

// demoLeavers writes a file of the demo users with those addresses and
// returns its path and its report's.
// emailsOf returns the users' addresses, in order.
func emailsOf(users []zoomtest.User) []string {
	list := make([]string, len(users))
	for i, u := range users {
		list[i] = u.Email
	}
	return list
}

func demoLeavers(t *testing.T, users ...string) (string, string) {
	t.Helper()
	file := writeFile(t, "leavers.csv", "email\n"+strings.Join(users, "\n")+"\n")
	return file, strings.TrimSuffix(file, ".csv") + ".report.csv"
}

var threeMembers = []string{"dan.morris@example.com", "eva.lindqvist@example.com",
	"farah.haddad@example.com"}

// runOnTerminal runs the command line args in process with standard input
// a pseudo-terminal on which answer has been typed, and standard error
// taken for a terminal. It returns the exit code and standard error.
func runOnTerminal(t *testing.T, vars map[string]string, answer string,
	args ...string) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if _, err := ptmx.WriteString(answer); err != nil {
		t.Fatal(err)
	}
	e, _, stderr := testEnv(vars, "")
	e.stdin, e.stdinTTY, e.stderrTTY = tty, true, true
	// A question that gets no answer ends the run instead of the test.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return run(ctx, args, e), stderr.String()
}

func statusCalls(sb *zoomtest.Server, users ...string) []int {
	st := sb.Stats()
	var n []int
	for _, u := range users {
		n = append(n, st.Users[u].StatusCalls)
	}
	return n
}

func TestRunAsksOnTerminal(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		code   int
		want   string
	}{
		// The file's invalid row makes the exit status 1.
		{"the number", "3\n", exitRowsFailed, "3 updated"},
		{"the number with spaces", "  3 \n", exitRowsFailed, "3 updated"},
		{"a wrong number", "2\n", exitUsage, `not confirmed: "2" is not 3`},
		{"yes", "yes\n", exitUsage, "not confirmed"},
		{"nothing", "\n", exitUsage, "not confirmed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{})
			file, report := demoLeavers(t, append(threeMembers, "not-an-address")...)
			code, stderr := runOnTerminal(t, vars, tt.answer, "run", file)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("run answered %q = exit %d; want %d saying %q\n%s",
					tt.answer, code, tt.code, tt.want, stderr)
			}
			for _, w := range []string{"change up to 3 Zoom users", "account " +
				vars["ZOOM_ACCOUNT_ID"], "deactivate 3", "activate   0", "not sent   1",
				"Type 3 to go on"} {
				if !strings.Contains(stderr, w) {
					t.Errorf("question = %q; want it to say %q", stderr, w)
				}
			}
			wantCalls := 1
			if code == exitUsage {
				wantCalls = 0
				if _, err := os.Stat(report); !os.IsNotExist(err) {
					t.Errorf("refused run left a report (%v); want none", err)
				}
			}
			got := statusCalls(sb, threeMembers...)
			if !slices.Equal(got, []int{wantCalls, wantCalls, wantCalls}) {
				t.Errorf("status calls per user = %v; want %d each", got, wantCalls)
			}
		})
	}
}

func TestRunNeedsYesOffTerminal(t *testing.T) {
	tests := []struct {
		name                string
		stdinTTY, stderrTTY bool
		args                []string
		code                int
		want                string
	}{
		{"no terminal", false, false, nil, exitUsage, "add --yes"},
		{"standard error not a terminal", true, false, nil, exitUsage, "add --yes"},
		{"standard input not a terminal", false, true, nil, exitUsage, "add --yes"},
		{"--yes", false, false, []string{"--yes"}, exitOK, "3 updated"},
		{"--dry-run never asks", false, false, []string{"--dry-run"}, exitOK, "would deactivate 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{})
			file, _ := demoLeavers(t, threeMembers...)
			e, _, stderr := testEnv(vars, "3\n")
			e.stdinTTY, e.stderrTTY = tt.stdinTTY, tt.stderrTTY
			code := run(context.Background(), append([]string{"run", file}, tt.args...), e)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("run %v = exit %d; want %d saying %q\n%s", tt.args, code, tt.code, tt.want,
					stderr)
			}
			if strings.Contains(stderr.String(), "Type 3") {
				t.Errorf("run asked a question off a terminal: %s", stderr)
			}
			if n := sb.Stats().StatusCalls; (n > 0) != slices.Contains(tt.args, "--yes") {
				t.Errorf("run %v sent %d status calls", tt.args, n)
			}
		})
	}
}

func TestRunSandboxNeverAsks(t *testing.T) {
	file, _ := demoLeavers(t, threeMembers...)
	code, stderr := runOnTerminal(t, nil, "", "run", "--sandbox", "--rate", "200", file)
	if code != exitOK || strings.Contains(stderr, "Type 3") {
		t.Errorf("run --sandbox on a terminal = exit %d, %q; want 0 without a question",
			code, stderr)
	}
}

func TestRunMaxChanges(t *testing.T) {
	tests := []struct {
		max   string
		code  int
		want  string
		calls int
	}{
		{"2", exitUsage, "--max-changes 2: this run would send 3 changes", 0},
		// The file's invalid row makes the exit status 1.
		{"3", exitRowsFailed, "3 updated", 1},
		{"0", exitRowsFailed, "3 updated", 1}, // no maximum
	}
	for _, tt := range tests {
		t.Run(tt.max, func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{})
			// An invalid row and a duplicate are not changes.
			file, _ := demoLeavers(t, append(threeMembers, "bad@", threeMembers[0])...)
			code, _, stderr := runOffboard(t, vars, "", "run", "--yes", "--max-changes", tt.max,
				file)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("run --max-changes %s = exit %d; want %d saying %q\n%s",
					tt.max, code, tt.code, tt.want, stderr)
			}
			if got := statusCalls(sb, threeMembers...); !slices.Equal(got,
				[]int{tt.calls, tt.calls, tt.calls}) {
				t.Errorf("status calls per user = %v; want %d each", got, tt.calls)
			}
		})
	}
	t.Run("dry run", func(t *testing.T) {
		_, vars := guardSandbox(t, zoomtest.Options{})
		file, _ := demoLeavers(t, threeMembers...)
		code, _, stderr := runOffboard(t, vars, "", "run", "--dry-run", "--max-changes", "2", file)
		if code != exitOK || !strings.Contains(stderr, "a real run would refuse to start") {
			t.Errorf("run --dry-run --max-changes 2 = exit %d, %q; want 0 and a warning",
				code, stderr)
		}
	})
}

func TestRunProtect(t *testing.T) {
	ids := map[string]string{}
	for _, u := range zoomtest.Embedded() {
		ids[u.Email] = u.ID
	}
	for _, dryRun := range []bool{false, true} {
		t.Run(fmt.Sprintf("dry run %v", dryRun), func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{})
			// Dan by address in another case, Eva by ID though the input
			// has her address, Farah by address though the input has her ID.
			protect := writeFile(t, "protect.csv", "Name,Email\nDan,DAN.MORRIS@example.com\n"+
				"Eva,"+ids["eva.lindqvist@example.com"]+"\nFarah,farah.haddad@example.com\n")
			file, report := demoLeavers(t, "dan.morris@example.com", "eva.lindqvist@example.com",
				ids["farah.haddad@example.com"], "george.ivanov@example.com")
			args := []string{"run", "--yes", "--protect", protect, "--report", report, file}
			if dryRun {
				args = append(args, "--dry-run")
			}
			code, _, stderr := runOffboard(t, vars, "", args...)
			if code != exitOK {
				t.Fatalf("run --protect = exit %d; want 0\n%s", code, stderr)
			}
			_, rows := reportRows(t, report)
			want := []string{"skipped", "skipped", "skipped", "updated"}
			if dryRun {
				want[3] = "planned"
			}
			for i, r := range rows {
				if r[3] != want[i] || want[i] == "skipped" && !strings.Contains(r[6], "protected") {
					t.Errorf("row %s = %s %q; want %s", r[1], r[3], r[6], want[i])
				}
			}
			wantCalls := []int{0, 0, 0, 1}
			if dryRun {
				wantCalls[3] = 0
			}
			got := statusCalls(sb, "dan.morris@example.com", "eva.lindqvist@example.com",
				"farah.haddad@example.com", "george.ivanov@example.com")
			if !slices.Equal(got, wantCalls) {
				t.Errorf("status calls per user = %v; want %v", got, wantCalls)
			}
		})
	}
}

func TestRunLimit(t *testing.T) {
	users := zoomtest.Generate(10)
	sb, vars := guardSandbox(t, zoomtest.Options{Users: users})
	list := emailsOf(users)
	file, report := demoLeavers(t, list...)
	steps := []struct {
		args    []string
		updated int
	}{
		{[]string{"--limit", "3"}, 3},
		{[]string{"--limit", "3", "--resume"}, 6},
		{[]string{"--resume"}, 10},
	}
	for _, s := range steps {
		args := append([]string{"run", "--yes", file}, s.args...)
		code, _, stderr := runOffboard(t, vars, "", args...)
		if code != exitOK {
			t.Fatalf("run %v = exit %d; want 0\n%s", s.args, code, stderr)
		}
		_, rows := reportRows(t, report)
		counts := map[string]int{}
		for _, r := range rows {
			counts[r[3]]++
			if r[3] == "pending" && !strings.Contains(r[6], "--limit 3") {
				t.Errorf("held back row %s says %q; want it to name --limit 3", r[1], r[6])
			}
		}
		if counts["updated"] != s.updated || counts["pending"] != 10-s.updated {
			t.Errorf("after run %v: %v; want %d updated, the rest pending",
				s.args, counts, s.updated)
		}
		if s.updated < 10 && !strings.Contains(stderr, "held back") {
			t.Errorf("run %v stderr = %q; want how to send the rows held back", s.args, stderr)
		}
	}
	for _, u := range list {
		if n := sb.Stats().Users[u].StatusCalls; n != 1 {
			t.Errorf("user %s got %d status calls; want 1", u, n)
		}
	}
	// Rows held back were never sent: resuming sends them without a check.
	if n := sb.Stats().Gets; n != 0 {
		t.Errorf("the runs made %d gets; want none", n)
	}
}

func TestRunChecksAccess(t *testing.T) {
	tests := []struct {
		name   string
		scopes []string
		args   []string
		vars   func(v map[string]string)
		want   string
	}{
		{"no status scope", []string{"user:read:admin"}, nil, nil, "user:update:status:admin"},
		{"no read scope for --precheck", []string{"user:update:status:admin"},
			[]string{"--precheck"}, nil, "user:read:user:admin"},
		{"no read scope for --dry-run", []string{"user:update:status:admin"},
			[]string{"--dry-run"}, nil, "user:read:user:admin"},
		{"wrong secret", nil, nil, func(v map[string]string) { v["ZOOM_CLIENT_SECRET"] = "wrong" },
			"refused the credentials"},
		{"unknown token", nil, nil, func(v map[string]string) { v["ZOOM_ACCESS_TOKEN"] = "stale" },
			"refused the access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{Scopes: tt.scopes})
			secret := vars["ZOOM_CLIENT_SECRET"]
			if tt.vars != nil {
				tt.vars(vars)
			}
			file, report := demoLeavers(t, threeMembers...)
			code, _, stderr := runOffboard(t, vars, "", append([]string{"run", "--yes", file},
				tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("run = exit %d, %q; want exit 2 saying %q", code, stderr, tt.want)
			}
			if st := sb.Stats(); st.StatusCalls != 0 || st.Gets > 1 || st.Lists != 0 {
				t.Errorf("refused run made %d status calls, %d gets and %d lists; want at most "+
					"one get", st.StatusCalls, st.Gets, st.Lists)
			}
			if _, err := os.Stat(report); !os.IsNotExist(err) {
				t.Errorf("refused run left a report (%v); want none", err)
			}
			if strings.Contains(stderr, secret) {
				t.Errorf("stderr shows the client secret")
			}
		})
	}
}

func TestRunGranularScopesSuffice(t *testing.T) {
	sb, vars := guardSandbox(t, zoomtest.Options{Scopes: []string{"user:update:status:admin",
		"user:read:user:admin"}})
	file, _ := demoLeavers(t, threeMembers...)
	code, _, stderr := runOffboard(t, vars, "", "run", "--yes", "--precheck", file)
	if code != exitOK || sb.Stats().StatusCalls != 3 {
		t.Errorf("run with granular scopes = exit %d after %d status calls; want 0 after 3\n%s",
			code, sb.Stats().StatusCalls, stderr)
	}
}

// TestRunStopsWhenEveryRowFails tests the early stop: a token given in
// ZOOM_ACCESS_TOKEN passes the access check by a get, yet lacks the scope
// to change anyone, so every change fails the same way.
func TestRunStopsWhenEveryRowFails(t *testing.T) {
	users := zoomtest.Generate(30)
	sb, vars := guardSandbox(t, zoomtest.Options{Users: users, Scopes: []string{"user:read:admin"}})
	token := sandboxToken(t, vars)
	static := map[string]string{"ZOOM_API_URL": vars["ZOOM_API_URL"], "ZOOM_ACCESS_TOKEN": token}
	list := emailsOf(users)
	file, report := demoLeavers(t, list...)
	code, _, stderr := runOffboard(t, static, "", "run", "--yes", "--rate", "200",
		"--concurrency", "1", file)
	if code != exitStopped || !strings.Contains(stderr, "failing the same way") {
		t.Fatalf("run = exit %d; want 3 saying the run is failing the same way\n%s", code, stderr)
	}
	_, rows := reportRows(t, report)
	counts := map[string]int{}
	for _, r := range rows {
		counts[r[3]+" "+r[5]]++
	}
	puts := sb.Stats().Requests["PUT"]
	if counts["failed 4711"] != 10 || counts["pending "] != 20 || puts != 10 {
		t.Errorf("report = %v after %d status calls; want 10 failed with 4711, 20 pending",
			counts, puts)
	}
	if strings.Contains(stderr, token) {
		t.Errorf("stderr shows the access token")
	}
}

func TestRunDryRunPredictsRealRun(t *testing.T) {
	rows := []string{"dan.morris@example.com,deactivate", "eva.lindqvist@example.com,deactivate",
		"hana.sato@example.com,deactivate", "kim.park@example.com,activate",
		"marc.dupont@example.com,activate", "amara.okafor@example.com,deactivate",
		"ben.hughes@example.com,deactivate", "new.starter@example.com,deactivate",
		"dan.moris@example.com,deactivate", "ghost@example.com,deactivate", "bad@,deactivate"}
	for _, u := range zoomtest.Embedded()[20:40] {
		rows = append(rows, u.Email+",deactivate")
	}
	tests := []struct {
		name       string
		rows       []string
		gets, list int
		hint       string // what the row of dan.moris says
	}{
		{"a get a row", rows[:10], 10, 0, "does not exist"},
		{"from a listing", rows, 0, 3, "did you mean dan.morris@example.com?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{})
			file := writeFile(t, "leavers.csv", "email,action\n"+strings.Join(tt.rows, "\n")+"\n")
			path := filepath.Join(t.TempDir(), "preview.csv")
			code, _, stderr := runOffboard(t, vars, "", "run", "--rate", "200", "--dry-run",
				"--report", path, file)
			if code != exitRowsFailed {
				t.Fatalf("preview = exit %d; want 1 (some rows would fail)\n%s", code, stderr)
			}
			st := sb.Stats()
			if st.StatusCalls != 0 || st.Gets != tt.gets || st.Lists != tt.list {
				t.Errorf("preview made %d status calls, %d gets, %d lists; want none, %d, %d",
					st.StatusCalls, st.Gets, st.Lists, tt.gets, tt.list)
			}
			_, preview := reportRows(t, path)
			if want := forecastLine(preview); !strings.Contains(stderr, want) {
				t.Errorf("preview summary = %q; want %q", stderr, want)
			}
			if r := preview[8]; !strings.Contains(r[6], tt.hint) {
				t.Errorf("preview of %s says %q; want %q", r[1], r[6], tt.hint)
			}

			code, _, stderr = runOffboard(t, vars, "", "run", "--rate", "200", "--yes", file)
			if code != exitRowsFailed {
				t.Fatalf("real run = exit %d; want 1\n%s", code, stderr)
			}
			_, real := reportRows(t, strings.TrimSuffix(file, ".csv")+".report.csv")
			for i, p := range preview {
				if r := real[i]; !predicts(p, r) {
					t.Errorf("line %s: preview %s %s (%s), real run %s %s (%s)",
						p[0], p[3], p[5], p[6], r[3], r[5], r[6])
				}
			}
		})
	}
}

// forecastLine is the preview's summary of what a real run would do, as
// the preview's report rows tell it.
func forecastLine(rows [][]string) string {
	n := map[string]int{}
	for _, r := range rows {
		n[r[3]+" "+r[2]]++
		n[r[3]]++
	}
	var parts []string
	for _, c := range []struct {
		key, what string
	}{{"planned deactivate", "would deactivate"}, {"planned activate", "would activate"},
		{"unchanged deactivate", "already inactive"}, {"unchanged activate", "already active"},
		{"failed", "would fail"}, {"invalid", "invalid"}} {
		if n[c.key] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.what, n[c.key]))
		}
	}
	return "Preview: " + strings.Join(parts, ", ") + "."
}

// predicts reports whether the preview's row p foresaw the real run's row r.
// Zoom's answer to a change to the status a user already has is
// undocumented: a success, or a refusal that the check after it turns into
// unchanged.
func predicts(p, r []string) bool {
	want := map[string][]string{"planned": {"updated"}, "unchanged": {"updated", "unchanged"},
		"failed": {"failed"}, "invalid": {"invalid"}, "skipped": {"skipped"}}
	return slices.Contains(want[p[3]], r[3]) && (p[5] == "" || p[5] == r[5])
}

func TestRunGuardUsageErrors(t *testing.T) {
	file, report := demoLeavers(t, threeMembers...)
	badProtect := writeFile(t, "protect.txt", "boss@example.com\nthe boss\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative limit", []string{"--limit", "-1"}, "--limit -1"},
		{"negative maximum", []string{"--max-changes", "-1"}, "--max-changes -1"},
		{"no protect file", []string{"--protect", filepath.Join(t.TempDir(), "nope.csv")},
			"--protect"},
		{"protect file naming no user", []string{"--protect", badProtect}, "line 2: \"the boss\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, vars := guardSandbox(t, zoomtest.Options{})
			args := append([]string{"run", "--yes", file}, tt.args...)
			code, _, stderr := runOffboard(t, vars, "", args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("offboard %v = exit %d, %q; want exit 2 saying %q",
					args, code, stderr, tt.want)
			}
			if st := sb.Stats(); st.StatusCalls != 0 {
				t.Errorf("offboard %v sent %d status calls; want none", args, st.StatusCalls)
			}
			if _, err := os.Stat(report); !os.IsNotExist(err) {
				t.Errorf("offboard %v left a report (%v); want none", args, err)
			}
		})
	}
}

func TestRunHelpNamesGuards(t *testing.T) {
	code, stdout, _ := runOffboard(t, nil, "", "run", "--help")
	for _, want := range []string{"--precheck", "halves the pace", "--max-changes", "--protect",
		"--limit", "type the number of changes", "--yes"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run --help = exit %d and lacks %q:\n%s", code, want, stdout)
		}
	}
}

// unlistedScopes is middleware that drops the scope field from the token
// endpoint's answers, as a token server that does not list scopes would.
func unlistedScopes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			delete(body, "scope")
		}
		maps.Copy(w.Header(), rec.Header())
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(body)
	})
}

func TestRunAccessCheckIsOneCall(t *testing.T) {
	tests := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		wantGets int
	}{
		{"scopes listed with the token", nil, 0},
		{"scopes not listed", unlistedScopes, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, vars := startSandbox(t, zoomtest.Options{LightRate: 500, Wrap: tt.wrap})
			file, _ := demoLeavers(t, threeMembers...)
			code, _, stderr := runOffboard(t, vars, "", "run", "--yes", "--rate", "200", file)
			st := sb.Stats()
			if code != exitOK || st.Gets != tt.wantGets || st.StatusCalls != 3 ||
				st.TokensIssued != 1 {
				t.Errorf("run = exit %d after %d gets, %d status calls, %d tokens; "+
					"want 0 after %d gets, 3 status calls, 1 token\n%s", code, st.Gets,
					st.StatusCalls, st.TokensIssued, tt.wantGets, stderr)
			}
		})
	}
}

func TestResumeKeepsProtectedUsers(t *testing.T) {
	users := zoomtest.Generate(6)
	sb, vars := guardSandbox(t, zoomtest.Options{Users: users})
	list := emailsOf(users)
	file, report := demoLeavers(t, list...)
	protect := writeFile(t, "protect.txt", list[4]+"\n")
	steps := [][]string{
		{"--protect", protect, "--limit", "2"},
		{"--resume"}, // forgets --protect
	}
	for _, args := range steps {
		args = append([]string{"run", "--yes", file}, args...)
		if code, _, stderr := runOffboard(t, vars, "", args...); code != exitOK {
			t.Fatalf("offboard %v = exit %d; want 0\n%s", args, code, stderr)
		}
	}
	if u, _ := sb.User(list[4]); u.Status != "active" || sb.Stats().Users[list[4]].StatusCalls != 0 {
		t.Errorf("protected user %s = %+v after a resume without --protect; want untouched",
			list[4], u)
	}
	_, rows := reportRows(t, report)
	if rows[4][3] != "skipped" || !strings.HasPrefix(rows[4][6], "protected") {
		t.Errorf("protected row = %q; want it still skipped as protected", rows[4])
	}
	for i, r := range rows {
		if i != 4 && r[3] != "updated" {
			t.Errorf("row %q; want updated", r)
		}
	}
}
