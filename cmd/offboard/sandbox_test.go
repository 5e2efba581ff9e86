package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// sandboxCmd is an offboard sandbox running in process.
type sandboxCmd struct {
	vars   map[string]string // what it printed, in order of sandboxVars
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
	rest   chan string // what it printed on stdout after the settings
}

// syncBuffer is a bytes.Buffer safe to write from the command's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var sandboxVars = []string{"ZOOM_API_URL", "ZOOM_TOKEN_URL", "ZOOM_ACCOUNT_ID",
	"ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"}

// startSandboxCmd runs offboard sandbox with args and reads the settings it
// prints. The test fails if they are not exactly the five expected lines.
func startSandboxCmd(t *testing.T, args ...string) *sandboxCmd {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	c := &sandboxCmd{vars: map[string]string{}, cancel: cancel, done: make(chan int, 1),
		stderr: &syncBuffer{}, rest: make(chan string, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: c.stderr,
		getenv: func(string) string { return "" }}
	go func() {
		c.done <- run(ctx, append([]string{"sandbox"}, args...), e)
		pw.Close()
	}()
	br := bufio.NewReader(pr)
	for _, name := range sandboxVars {
		line, err := br.ReadString('\n')
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if err != nil || !ok || k != name || v == "" {
			cancel()
			t.Fatalf("sandbox printed %q (%v); want %s=VALUE\nstderr: %s", line, err, name,
				c.stderr)
		}
		c.vars[k] = v
	}
	go func() {
		rest, _ := io.ReadAll(br)
		c.rest <- string(rest)
	}()
	return c
}

// stop cancels the command and returns its exit code.
func (c *sandboxCmd) stop() int {
	c.cancel()
	return <-c.done
}

func TestSandboxServes(t *testing.T) {
	c := startSandboxCmd(t, "--latency", "0")
	api, err := url.Parse(c.vars["ZOOM_API_URL"])
	if err != nil || api.Scheme != "http" || api.Hostname() != "127.0.0.1" || api.Path != "/v2" {
		t.Errorf("ZOOM_API_URL = %s; want http://127.0.0.1:PORT/v2", c.vars["ZOOM_API_URL"])
	}
	want := strings.TrimSuffix(c.vars["ZOOM_API_URL"], "/v2") + "/oauth/token"
	if c.vars["ZOOM_TOKEN_URL"] != want {
		t.Errorf("ZOOM_TOKEN_URL = %s; want %s", c.vars["ZOOM_TOKEN_URL"], want)
	}
	tok := sandboxToken(t, c.vars)
	req, _ := http.NewRequest(http.MethodGet,
		c.vars["ZOOM_API_URL"]+"/users/dan.morris@example.com", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("get a demo user from the sandbox = %d; want 200", resp.StatusCode)
	}

	if code := c.stop(); code != exitOK {
		t.Errorf("sandbox stopped with exit %d; want %d\nstderr: %s", code, exitOK, c.stderr)
	}
	if rest := <-c.rest; rest != "" {
		t.Errorf("sandbox printed %q on stdout after its settings; want nothing", rest)
	}
	stderr := c.stderr.String()
	if !strings.Contains(stderr, "serving 60 users") || !strings.Contains(stderr, "2 requests") {
		t.Errorf("sandbox stderr = %q; want the users served and the requests counted", stderr)
	}
	if strings.Contains(stderr, c.vars["ZOOM_CLIENT_SECRET"]) || strings.Contains(stderr, tok) {
		t.Errorf("sandbox stderr %q reveals the secret or the token", stderr)
	}
}

// sandboxToken fetches an access token with the credentials vars hold.
func sandboxToken(t *testing.T, vars map[string]string) string {
	t.Helper()
	form := url.Values{"grant_type": {"account_credentials"},
		"account_id": {vars["ZOOM_ACCOUNT_ID"]}}
	req, _ := http.NewRequest(http.MethodPost, vars["ZOOM_TOKEN_URL"],
		strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(vars["ZOOM_CLIENT_ID"], vars["ZOOM_CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("sandbox token endpoint = %d (%v); want a token", resp.StatusCode, err)
	}
	return body.AccessToken
}

func TestSandboxDirectories(t *testing.T) {
	// An HR export: a byte-order mark, semicolons, and no plain email column.
	export := writeFile(t, "export.csv", "\ufeffName;Work Email\n\"Doe, Jane\";jane@corp.example\n"+
		"Al;al@corp.example\nAl again;AL@corp.example\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"generated", []string{"--generate", "250"}, "serving 250 users"},
		{"leaver list", []string{"--users", "../../testdata/leavers.csv"}, "serving 11 users"},
		{"hr export", []string{"--users", export}, "serving 2 users"},
		{"business plan", []string{"--plan", "business", "--listen", "localhost:0"},
			"(business plan)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startSandboxCmd(t, tt.args...)
			if code := c.stop(); code != exitOK {
				t.Errorf("sandbox %v stopped with exit %d; want 0", tt.args, code)
			}
			if got := c.stderr.String(); !strings.Contains(got, tt.want) {
				t.Errorf("sandbox %v stderr = %q; want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestSandboxRefusesBadFlags(t *testing.T) {
	bad := writeFile(t, "users.csv", "email,status\na@example.com,gone\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:0"}, "loopback"},
		{[]string{"--listen", "192.168.1.5:8080"}, "loopback"},
		{[]string{"--listen", "nonsense"}, "nonsense"},
		{[]string{"--plan", "enterprise"}, "--plan"},
		{[]string{"--rate", "-3"}, "--rate"},
		{[]string{"--background-rate", "NaN"}, "--background-rate"},
		{[]string{"--fail-rate", "1.5"}, "--fail-rate"},
		{[]string{"--reset-rate", "-0.1"}, "--reset-rate"},
		{[]string{"--daily-limit", "-2"}, "--daily-limit"},
		{[]string{"--latency", "-1s"}, "--latency"},
		{[]string{"--token-ttl", "0s"}, "--token-ttl"},
		{[]string{"--basic-cap", "-1"}, "--basic-cap"},
		{[]string{"--generate", "-5"}, "--generate"},
		{[]string{"--generate", "5", "--users", bad}, "choose one"},
		{[]string{"--users", "no-such-file.csv"}, "no-such-file.csv"},
		{[]string{"--users", bad}, "gone"},
		{[]string{"extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"sandbox"}, tt.args...)
			code, stdout, stderr := runOffboard(t, nil, "", args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("sandbox %v = exit %d, stdout %q, stderr %q; want exit %d naming %q",
					tt.args, code, stdout, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestSandboxHelp(t *testing.T) {
	code, stdout, _ := runOffboard(t, nil, "", "sandbox", "--help")
	wants := []string{"Examples:", "--listen", "--bare-throttles", "ZOOM_CLIENT_SECRET"}
	for _, want := range wants {
		if !strings.Contains(stdout, want) {
			t.Errorf("sandbox --help lacks %q", want)
		}
	}
	if code != exitOK {
		t.Errorf("sandbox --help = exit %d; want 0", code)
	}
}
