package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/zoom/zoomtest"
)

// sandboxFlags are the flags of offboard sandbox.
type sandboxFlags struct {
	listen         string
	plan           string
	rate           float64
	mediumRate     float64
	dailyLimit     int
	backgroundRate float64
	latency        time.Duration
	failRate       float64
	resetRate      float64
	tokenTTL       time.Duration
	replaceTokens  bool
	basicCap       int
	users          string
	generate       int
	bare           bool
	dailyNoType    bool
	seed           uint64
	verbose        bool
}

const sandboxExamples = `  # Serve the demo users; keep the settings it prints for another shell.
  offboard sandbox > sandbox.env & sleep 1
  set -a; . ./sandbox.env; set +a
  offboard run testdata/leavers.csv
  curl -s "${ZOOM_API_URL%/v2}/_sandbox/stats"

  # A free account already half spent by another app, with a flaky network.
  offboard sandbox --plan free --background-rate 2 --fail-rate 0.05 --reset-rate 0.02

  # Ten thousand generated users, and throttles with no headers at all.
  offboard sandbox --generate 10000 --bare-throttles`

const sandboxExitCodes = `Exit codes:
  0    served until interrupted
  2    usage error, or the address cannot be listened on`

func newSandboxCmd(e *env) *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Annotations: map[string]string{"exit codes": sandboxExitCodes},
		Use:         "sandbox [flags]",
		Short:       "Serve a simulated Zoom account on loopback to try offboard against",
		Long: `Sandbox serves a simulated Zoom account on a loopback address until it is
interrupted: Server-to-Server OAuth tokens, getting and listing users and
changing their status, with Zoom's rate limits, error codes and faults.

It prints the settings offboard run reads from the environment, one per line
on standard output, and nothing else there:
  ZOOM_API_URL, ZOOM_TOKEN_URL, ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET
The credentials are made up afresh for each sandbox and work nowhere else.

Users come from the built-in demo directory, from --users FILE (a directory
CSV with a status column, or a list of addresses such as offboard's input, in
which case every address becomes an active user), or from --generate N.
GET /_sandbox/stats on the same address answers what the sandbox has counted;
POST /_sandbox/reset-daily starts a new day for the daily limits at once.`,
		Example: sandboxExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandbox(cmd.Context(), e, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:0", "loopback address to listen on")
	fl.StringVar(&f.plan, "plan", "pro", "the simulated account's plan: free, pro or business")
	fl.Float64Var(&f.rate, "rate", 0,
		"Light requests per second for the account, overriding --plan")
	fl.Float64Var(&f.mediumRate, "medium-rate", 0, "Medium (list users) requests per second")
	fl.IntVar(&f.dailyLimit, "daily-limit", 0,
		"Light requests per UTC day (0: the plan's cap; -1: none)")
	fl.Float64Var(&f.backgroundRate, "background-rate", 0,
		"Light requests per second another app spends on the account")
	fl.DurationVar(&f.latency, "latency", 40*time.Millisecond, "mean response time")
	fl.Float64Var(&f.failRate, "fail-rate", 0, "fraction of API calls answered 500 or 503")
	fl.Float64Var(&f.resetRate, "reset-rate", 0, "fraction of API calls whose connection drops")
	fl.DurationVar(&f.tokenTTL, "token-ttl", time.Hour, "lifetime of access tokens")
	fl.BoolVar(&f.replaceTokens, "token-replaces-previous", false,
		"a new access token invalidates the older ones")
	fl.IntVar(&f.basicCap, "basic-cap", 0, "most Basic users the account may hold (0: no cap)")
	fl.StringVar(&f.users, "users", "", "CSV `FILE` of users instead of the demo directory")
	fl.IntVar(&f.generate, "generate", 0, "serve N generated users instead of the demo directory")
	fl.BoolVar(&f.bare, "bare-throttles", false, "send 429s without any rate-limit header")
	fl.BoolVar(&f.dailyNoType, "daily-without-type", false,
		"send daily-limit 429s without X-RateLimit-Type")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for latency jitter and faults (0: random)")
	fl.BoolVar(&f.verbose, "verbose", false, "log every request on standard error")
	return cmd
}

func runSandbox(ctx context.Context, e *env, f *sandboxFlags) error {
	opts, err := f.options(e)
	if err != nil {
		return err
	}
	s, err := zoomtest.Start(f.listen, opts)
	if errors.Is(err, zoomtest.ErrNotLoopback) {
		return usageErrorf("--listen %s: the sandbox listens only on loopback, "+
			"such as 127.0.0.1:8080", f.listen)
	}
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	c := s.Credentials()
	fmt.Fprintf(e.stdout, "ZOOM_API_URL=%s\nZOOM_TOKEN_URL=%s\n", s.APIURL(), s.TokenURL())
	fmt.Fprintf(e.stdout, "ZOOM_ACCOUNT_ID=%s\nZOOM_CLIENT_ID=%s\nZOOM_CLIENT_SECRET=%s\n",
		c.AccountID, c.ClientID, c.ClientSecret)
	fmt.Fprintf(e.stderr, "sandbox: serving %s on %s (%s plan); stop with Ctrl-C\n",
		plural(len(opts.Users), "user"), s.URL(), f.plan)

	<-ctx.Done()
	if err := s.Close(); err != nil {
		return err
	}
	st := s.Stats()
	fmt.Fprintf(e.stderr, "sandbox: stopped after %d requests (%d throttled, %d status calls)\n",
		total(st.Requests), st.Throttled, st.StatusCalls)
	return nil
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// options checks the flags and turns them into the sandbox's options.
func (f *sandboxFlags) options(e *env) (zoomtest.Options, error) {
	if err := f.check(); err != nil {
		return zoomtest.Options{}, err
	}
	users, err := f.directory()
	if err != nil {
		return zoomtest.Options{}, err
	}
	opts := zoomtest.Options{
		Plan: f.plan, LightRate: f.rate, MediumRate: f.mediumRate, DailyLimit: f.dailyLimit,
		BackgroundRate: f.backgroundRate, Latency: f.latency, FailRate: f.failRate,
		ResetRate: f.resetRate, TokenTTL: f.tokenTTL, TokenReplacesPrevious: f.replaceTokens,
		BasicCap: f.basicCap, Users: users, BareThrottles: f.bare,
		DailyWithoutType: f.dailyNoType, Seed: f.seed,
	}
	if f.verbose {
		opts.Logger = slog.New(slog.NewTextHandler(e.stderr,
			&slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if err := opts.Validate(); err != nil {
		return zoomtest.Options{}, usageErrorf("%v", err)
	}
	return opts, nil
}

func (f *sandboxFlags) check() error {
	if !slices.Contains(zoomtest.Plans(), f.plan) {
		return usageErrorf("--plan %q: want %s", f.plan, strings.Join(zoomtest.Plans(), ", "))
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"--rate", f.rate}, {"--medium-rate", f.mediumRate},
		{"--background-rate", f.backgroundRate}} {
		if r.v < 0 || math.IsNaN(r.v) || math.IsInf(r.v, 0) {
			return usageErrorf("%s %v: want a number of requests per second, 0 or more",
				r.flag, r.v)
		}
	}
	for _, p := range []struct {
		flag string
		v    float64
	}{{"--fail-rate", f.failRate}, {"--reset-rate", f.resetRate}} {
		if !(p.v >= 0 && p.v <= 1) {
			return usageErrorf("%s %v: want a fraction from 0 to 1", p.flag, p.v)
		}
	}
	switch {
	case f.dailyLimit < -1:
		return usageErrorf("--daily-limit %d: want a count, 0 for the plan's or -1 for none",
			f.dailyLimit)
	case f.latency < 0:
		return usageErrorf("--latency %v: want a duration, 0 or more", f.latency)
	case f.tokenTTL <= 0:
		return usageErrorf("--token-ttl %v: want a positive duration", f.tokenTTL)
	case f.basicCap < 0:
		return usageErrorf("--basic-cap %d: want a count, 0 for no cap", f.basicCap)
	case f.generate < 0:
		return usageErrorf("--generate %d: want a count of users", f.generate)
	case f.generate > 0 && f.users != "":
		return usageErrorf("--users and --generate: choose one")
	}
	return nil
}

// directory returns the users the flags ask for: generated, read from a
// file, or the demo directory.
func (f *sandboxFlags) directory() ([]zoomtest.User, error) {
	switch {
	case f.generate > 0:
		return zoomtest.Generate(f.generate), nil
	case f.users == "":
		return zoomtest.Embedded(), nil
	}
	file, err := os.Open(f.users)
	if err != nil {
		return nil, usageErrorf("--users: %v", err)
	}
	defer file.Close()
	users, err := zoomtest.ReadUsers(file)
	if errors.Is(err, zoomtest.ErrNoEmailColumn) {
		users, err = leaverMembers(f.users)
	}
	if err != nil {
		return nil, usageErrorf("--users %s: %v", f.users, err)
	}
	return users, nil
}

// leaverMembers reads a leaver file as offboard run does, whatever its
// delimiter, encoding or header, and makes every address in it a member.
func leaverMembers(path string) ([]zoomtest.User, error) {
	in, err := batch.Open(path, batch.ReadOptions{})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var emails []string
	for row, err := range in.Rows() {
		if err != nil {
			return nil, err
		}
		emails = append(emails, row.User)
	}
	return zoomtest.Members(emails), nil
}
