package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

// dormantAccount is a generated directory of more than one page, of whom
// one user in eight keeps the sign-in Generate gave them and the others
// signed in yesterday, with an owner and an admin who have not signed in for
// a year.
func dormantAccount() []zoomtest.User {
	now := time.Now().UTC()
	users := zoomtest.Generate(320)
	for i := range users {
		if i%8 != 0 {
			users[i].LastLogin = now.Add(-24 * time.Hour)
		}
	}
	year := now.Add(-365 * 24 * time.Hour)
	return append(users,
		zoomtest.User{Email: "boss@example.com", Status: "active", Role: "Owner",
			Type: zoomtest.TypeLicensed, LastLogin: year, Created: year},
		zoomtest.User{Email: "it@example.com", Status: "active", Role: "Admin",
			Type: zoomtest.TypeLicensed, LastLogin: year, Created: year})
}

// wantCandidates returns, sorted, the addresses of the active users, not
// owners or admins, licensed unless anyType, not signed in (or, never signed in, not
// created) within days.
func wantCandidates(users []zoomtest.User, days int, anyType bool) []string {
	cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
	var out []string
	for _, u := range users {
		when := u.LastLogin
		if when.IsZero() {
			when = u.Created
		}
		if u.Status == "active" && (anyType || u.Type == zoomtest.TypeLicensed) &&
			u.Role != "Owner" && u.Role != "Admin" && when.Before(cutoff) {
			out = append(out, u.Email)
		}
	}
	slices.Sort(out)
	return out
}

// endpointArgs points a command at sb with flags, as a user would.
func endpointArgs(sb *zoomtest.Server) []string {
	return []string{"--plan", "business", "--api-url", sb.APIURL(), "--token-url", sb.TokenURL()}
}

func TestCandidatesRoundTrip(t *testing.T) {
	users := dormantAccount()
	spec := spectest.Load(t)
	sb, vars := startSandbox(t, zoomtest.Options{Plan: "business", Users: users,
		Wrap: spec.Wrap(t)})
	dir := t.TempDir()
	file := filepath.Join(dir, "candidates.csv")

	args := append([]string{"candidates", "--output", file}, endpointArgs(sb)...)
	code, stdout, stderr := runOffboard(t, vars, "", args...)
	if code != exitOK || stdout != "" {
		t.Fatalf("offboard candidates = %d, stdout %q; want 0 and nothing\n%s", code, stdout, stderr)
	}
	header, rows := reportRows(t, file)
	want := "email,user_id,action,last_login_time,type,role_name,dept"
	if strings.Join(header, ",") != want {
		t.Errorf("candidates header = %q; want %q", header, want)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r[0])
	}
	if want := wantCandidates(users, 90, false); !slices.Equal(sorted(got), want) {
		t.Errorf("candidates found %d users; want the %d dormant licensed members",
			len(got), len(want))
	}
	st := sb.Stats()
	calls := fmt.Sprintf("Requests: %d to list users (Medium, at most 60/s), %d to get users",
		st.Lists, st.Gets)
	if st.Lists != 2 || !strings.Contains(stderr, calls) {
		t.Errorf("sandbox saw %d lists and %d gets; want 2 lists, and the summary to say %q:\n%s",
			st.Lists, st.Gets, calls, stderr)
	}
	for _, s := range []string{"Listed 322 active users in 2 pages", "Left out: 1 owner",
		"1 admin", "offboard run " + file} {
		if !strings.Contains(stderr, s) {
			t.Errorf("candidates summary lacks %q:\n%s", s, stderr)
		}
	}

	report := filepath.Join(dir, "report.csv")
	args = append([]string{"run", "--dry-run", "--yes", "--report", report}, endpointArgs(sb)...)
	code, _, stderr = runOffboard(t, vars, "", append(args, file)...)
	if code != exitOK {
		t.Fatalf("offboard run --dry-run candidates.csv = %d; want 0\n%s", code, stderr)
	}
	_, results := reportRows(t, report)
	var planned []string
	for _, r := range results {
		if r[3] == "planned" && r[2] == "deactivate" {
			planned = append(planned, r[1])
		}
	}
	if !slices.Equal(planned, got) || len(results) != len(got) {
		t.Errorf("run --dry-run planned %d of %d rows; want exactly the %d candidates, in order",
			len(planned), len(results), len(got))
	}
	if n := sb.Stats().StatusCalls; n != 0 {
		t.Errorf("sandbox saw %d status calls; want none", n)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestCandidatesFileIsPrivateAndNeverOverwritten(t *testing.T) {
	sb, vars := startSandbox(t, zoomtest.Options{Users: dormantAccount()})
	file := filepath.Join(t.TempDir(), "candidates.csv")
	args := append([]string{"candidates", "--output", file}, endpointArgs(sb)...)

	if code, _, stderr := runOffboard(t, vars, "", args...); code != exitOK {
		t.Fatalf("offboard candidates = %d; want 0\n%s", code, stderr)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("candidates file mode = %v; want 0600", perm)
	}
	before, _ := os.ReadFile(file)
	lists := sb.Stats().Lists

	code, _, stderr := runOffboard(t, vars, "", args...)
	if code != exitUsage || !strings.Contains(stderr, "already exists") {
		t.Errorf("offboard candidates over an existing file = %d, %q; want 2, already exists",
			code, stderr)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Errorf("offboard candidates changed the existing file")
	}
	if n := sb.Stats().Lists; n != lists {
		t.Errorf("offboard candidates listed users %d times for an existing file; want 0", n-lists)
	}
}

func TestCandidatesFailureLeavesNoFile(t *testing.T) {
	// The token may change statuses but not list users: Zoom answers 400, code 4711.
	sb, vars := startSandbox(t, zoomtest.Options{Scopes: []string{"user:update:status:admin"}})
	file := filepath.Join(t.TempDir(), "candidates.csv")
	args := append([]string{"candidates", "--output", file}, endpointArgs(sb)...)

	code, _, stderr := runOffboard(t, vars, "", args...)
	if code != exitStopped || !strings.Contains(stderr, "4711") {
		t.Errorf("offboard candidates without the list scope = %d, %q; want 3 and code 4711",
			code, stderr)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("offboard candidates left %s after failing (stat: %v); want no file", file, err)
	}
	if secret := vars["ZOOM_CLIENT_SECRET"]; strings.Contains(stderr, secret) {
		t.Errorf("offboard candidates printed the client secret")
	}
}

func TestCandidatesSandboxToStdout(t *testing.T) {
	code, stdout, stderr := runOffboard(t, nil, "", "candidates", "--sandbox", "--type", "any",
		"--inactive-days", "180")
	if code != exitOK {
		t.Fatalf("offboard candidates --sandbox = %d; want 0\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	want := wantCandidates(zoomtest.Embedded(), 180, true)
	if len(lines)-1 != len(want) || !strings.HasPrefix(lines[0], "email,user_id,action,") {
		t.Errorf("offboard candidates --sandbox wrote %d lines; want a header and %d users:\n%s",
			len(lines), len(want), stdout)
	}
	for _, email := range want {
		if !strings.Contains(stdout, "\n"+email+",") {
			t.Errorf("offboard candidates --sandbox left out %s", email)
		}
	}
	if strings.Contains(stdout, "Listed") || !strings.Contains(stderr, "Listed") {
		t.Errorf("offboard candidates wrote its summary to stdout, or none to stderr")
	}
}

func TestCandidatesUsageErrors(t *testing.T) {
	sb, vars := startSandbox(t, zoomtest.Options{})
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"unknown type", vars, []string{"--type", "paid"}, "--type"},
		{"unknown status", vars, []string{"--status", "gone"}, "--status"},
		{"unknown action", vars, []string{"--action", "delete"}, "--action"},
		{"no days", vars, []string{"--inactive-days", "0"}, "--inactive-days"},
		{"unknown plan", vars, []string{"--plan", "gold"}, "--plan"},
		{"an argument", vars, []string{"leavers.csv"}, "unknown command"},
		{"no credentials", nil, []string{"--api-url", sb.APIURL(), "--token-url", sb.TokenURL()},
			"no Zoom credentials"},
		{"plain http elsewhere", vars, []string{"--api-url", "http://zoom.example.com/v2"},
			"plain http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runOffboard(t, tt.vars, "",
				append([]string{"candidates"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("offboard candidates %q = %d, %q; want 2 and %q", tt.args, code,
					stderr, tt.want)
			}
		})
	}
	if n := sb.Stats().Lists; n != 0 {
		t.Errorf("sandbox saw %d lists; want none after usage errors", n)
	}
}

func TestCandidatesHelp(t *testing.T) {
	code, stdout, _ := runOffboard(t, nil, "", "candidates", "--help")
	for _, s := range []string{"Examples:", "offboard candidates --sandbox",
		"offboard run candidates.csv", "--inactive-days", "the file is written"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("offboard candidates --help lacks %q", s)
		}
	}
	if code != exitOK || strings.Contains(stdout, "some rows failed") {
		t.Errorf("offboard candidates --help = %d; want 0 and its own exit codes, not run's",
			code)
	}
}
