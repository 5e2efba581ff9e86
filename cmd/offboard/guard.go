package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/zoom"
)

// guardFlags are the flags of offboard run that keep a run from changing
// more than was meant.
type guardFlags struct {
	precheck   bool
	maxChanges int    // 0: no maximum
	protect    string // a file of users never to change
	limit      int    // 0: no limit
}

func addGuardFlags(fl *pflag.FlagSet, g *guardFlags) {
	fl.BoolVar(&g.precheck, "precheck", false,
		"get each user before changing them, to send no change that would fail or change\n"+
			"nothing; costs one more Light call a row, so it halves the pace")
	fl.IntVar(&g.maxChanges, "max-changes", 0,
		"refuse to start when more than `N` rows would be sent (0: no maximum)")
	fl.StringVar(&g.protect, "protect", "",
		"never change the users in `FILE` (addresses or IDs, one a line, or a CSV with an\n"+
			"email column); their rows are skipped")
	fl.IntVar(&g.limit, "limit", 0,
		"send only the first `N` rows to send, as a canary; the rest stay pending for --resume\n"+
			"and leave the exit status alone (0: no limit)")
}

func (g *guardFlags) check() error {
	if g.maxChanges < 0 {
		return usageErrorf("--max-changes %d: want a number of rows, or 0 for no maximum",
			g.maxChanges)
	}
	if g.limit < 0 {
		return usageErrorf("--limit %d: want a number of rows, or 0 for no limit", g.limit)
	}
	return nil
}

// prepared is a run ready to start: its rows with the guards applied, and
// what they hold.
type prepared struct {
	rows   iter.Seq2[batch.Row, error]
	plan   batch.Plan
	roster *batch.Roster // for a preview that lists the account; nil otherwise

	mu       sync.Mutex
	forecast batch.Forecast
}

// prepare applies the guards to the input before anything is sent: it reads
// --protect, checks the credentials and scopes, holds back the rows past
// --limit, counts the changes, and then for a real run enforces
// --max-changes and asks the user, or for a preview lists the account when
// that is cheaper than a get a row.
func prepare(ctx context.Context, e *env, f *runFlags, file string, in *batch.Input,
	svc *service, j *batch.Journal) (*prepared, error) {
	var prot *batch.Protected
	if f.guard.protect != "" {
		var err error
		if prot, err = batch.ReadProtected(f.guard.protect); err != nil {
			return nil, usageErrorf("--protect: %v", err)
		}
	}
	if svc.client != nil {
		if err := checkAccess(ctx, f, svc); err != nil {
			return nil, err
		}
	}
	rows, err := guardRows(ctx, f, in, svc, prot)
	if err != nil {
		return nil, err
	}
	done := resumedDone(j)
	if f.guard.limit > 0 {
		reason := fmt.Sprintf("--limit %d; run again with --resume to go on", f.guard.limit)
		rows = batch.Limit(rows, f.guard.limit, reason, done)
	}
	p := &prepared{rows: rows}
	if p.plan, err = batch.CountPlan(rows, done); err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if f.dryRun {
		p.roster = listRoster(ctx, e, svc, p.plan.Changes())
		return p, nil
	}
	if n := f.guard.maxChanges; n > 0 && p.plan.Changes() > n {
		return nil, usageErrorf("--max-changes %d: this run would send %s; "+
			"nothing was sent", n, plural(p.plan.Changes(), "change"))
	}
	return p, confirm(ctx, e, f, file, p.plan, svc)
}

// guardRows returns the input's rows with the protected users skipped. When
// the input names users one way and the protect file the other way, the
// protected users are looked up first, so that either form matches.
func guardRows(ctx context.Context, f *runFlags, in *batch.Input, svc *service,
	prot *batch.Protected) (iter.Seq2[batch.Row, error], error) {
	if prot == nil {
		return in.Rows(), nil
	}
	if svc.client != nil {
		kinds, err := batch.CountPlan(in.Rows(), nil)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
		if _, err := prot.Resolve(ctx, svc.client, kinds.ByEmail > 0, kinds.ByID > 0); err != nil {
			return nil, usageErrorf("--protect %s: %v; nothing was sent", f.guard.protect, err)
		}
	}
	return prot.Guard(in.Rows()), nil
}

// resumedDone returns what tells the rows that the run being resumed
// finished, or nil when no run is resumed.
func resumedDone(j *batch.Journal) func(batch.Row) bool {
	if j == nil {
		return nil
	}
	return func(r batch.Row) bool { return j.Done(r) != "" }
}

// listRoster lists the account for a preview when that takes fewer calls
// than getting each of rows users. A listing that fails leaves the preview
// to get each user.
func listRoster(ctx context.Context, e *env, svc *service, rows int) *batch.Roster {
	if svc.client == nil {
		return nil
	}
	r, err := batch.ListRosterIfCheaper(ctx, svc.client, rows)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(e.stderr, "offboard: listing the account's users failed, "+
			"so the preview gets each user instead: %v\n", err)
	}
	return r
}

// observe returns the OnResult of the run: next, and for a preview the
// forecast's count.
func (p *prepared) observe(f *runFlags, next func(batch.Result)) func(batch.Result) {
	if !f.dryRun {
		return next
	}
	return func(res batch.Result) {
		p.mu.Lock()
		p.forecast.Add(res)
		p.mu.Unlock()
		next(res)
	}
}

// printAfter writes what the run's summary leaves out: for a preview, what
// a real run would do and how long it would take; for a run that --limit
// held back, how to go on.
func (p *prepared) printAfter(w io.Writer, f *runFlags, file string, counts map[batch.Outcome]int) {
	if f.dryRun && !f.offline {
		p.printForecast(w, f)
	}
	if f.guard.limit > 0 && counts[batch.Pending] > 0 && !f.dryRun && f.report != "-" {
		fmt.Fprintf(w, "--limit %d held back %s. To send them:\n  %s\n",
			f.guard.limit, plural(counts[batch.Pending], "row"), resumeHint(f, file))
	}
}

// printForecast says what a real run would do, from the preview's results.
func (p *prepared) printForecast(w io.Writer, f *runFlags) {
	p.mu.Lock()
	fc := p.forecast
	p.mu.Unlock()
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{fc.Deactivate, "would deactivate"}, {fc.Activate, "would activate"},
		{fc.AlreadyInactive, "already inactive"}, {fc.AlreadyActive, "already active"},
		{fc.Fail, "would fail"}, {fc.Invalid, "invalid"}, {fc.Skipped, "skipped"},
		{fc.Pending, "not previewed"},
	} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.what, c.n))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to do")
	}
	fmt.Fprintf(w, "Preview: %s.\n", strings.Join(parts, ", "))
	calls := callsFor(fc.Sends(), f.guard.precheck)
	fmt.Fprintf(w, "A real run would send %s: %s at %s.\n",
		plural(calls, "request"), aboutDuration(calls, f.pace()), paceText(f.pace()))
	if p.roster != nil {
		fmt.Fprintf(w, "Judged from a listing of the account's %s (%s), not a get a row.\n",
			plural(p.roster.Len(), "user"), plural(p.roster.Pages, "page"))
	}
	if n := f.guard.maxChanges; n > 0 && p.plan.Changes() > n {
		fmt.Fprintf(w, "--max-changes %d: a real run would refuse to start: "+
			"it would send %s.\n", n, plural(p.plan.Changes(), "change"))
	}
}

// callsFor returns the Light calls a real run makes for changes rows.
func callsFor(changes int, precheck bool) int {
	if precheck {
		return 2 * changes
	}
	return changes
}

// aboutDuration says how long calls take at pace calls a second.
func aboutDuration(calls int, pace float64) string {
	d := time.Duration(float64(calls) / pace * float64(time.Second))
	if d < time.Second {
		return "under a second"
	}
	return "about " + d.Round(time.Second).String()
}

func paceText(pace float64) string {
	return fmt.Sprintf("%.4g requests a second", pace)
}

// accountName says which account the run acts on, for the question before
// it starts.
func accountName(e *env, f *runFlags) string {
	switch {
	case f.sandbox:
		return "the built-in sandbox"
	case e.getenv("ZOOM_ACCESS_TOKEN") != "":
		return "the account of the token in ZOOM_ACCESS_TOKEN"
	}
	return "account " + e.getenv("ZOOM_ACCOUNT_ID")
}

// scopeNeed is a kind of call a run must be allowed to make.
type scopeNeed struct {
	what   string   // what the scope lets offboard do
	anyOf  []string // scopes that grant it
	advice string   // the scopes to add, granular first
}

var (
	needStatus = scopeNeed{"change a user's status", zoom.StatusScopes,
		"user:update:status:admin (or the classic user:write:admin)"}
	needGet = scopeNeed{"get a user", zoom.GetUserScopes,
		"user:read:user:admin (or the classic user:read:admin)"}
)

// neededScopes returns what the run must be allowed to do: a preview gets
// users; a real run changes them, and gets them too when it checks users
// first or resumes.
func neededScopes(f *runFlags) []scopeNeed {
	switch {
	case f.dryRun:
		return []scopeNeed{needGet}
	case f.guard.precheck || f.resume:
		return []scopeNeed{needStatus, needGet}
	}
	return []scopeNeed{needStatus}
}

// scopedTokens is a token source that knows the scopes Zoom granted.
// *zoom.AccountTokens is one.
type scopedTokens interface {
	Scopes(ctx context.Context) ([]string, bool, error)
}

// checkAccess makes sure, before any row is sent, that Zoom takes the
// credentials and grants the scopes the run needs, so that a wrong setup
// ends with one message instead of a report of identical failures. For an
// app's credentials the check is the token request itself, whose answer
// lists the scopes; for a token given in ZOOM_ACCESS_TOKEN it is one get,
// which proves the token and the read scope but cannot show the others.
func checkAccess(ctx context.Context, f *runFlags, svc *service) error {
	if st, ok := svc.tokens.(scopedTokens); ok {
		granted, listed, err := st.Scopes(ctx)
		if err != nil {
			return accessError(err)
		}
		if listed {
			return checkScopes(granted, neededScopes(f))
		}
	}
	_, _, err := svc.client.GetUser(ctx, "me")
	if err == nil || zoom.IsNotFound(err) {
		return nil
	}
	return accessError(err)
}

// checkScopes returns an error naming the first need that granted lacks.
func checkScopes(granted []string, needs []scopeNeed) error {
	for _, n := range needs {
		if !zoom.HasScope(granted, n.anyOf) {
			return usageErrorf("the app's token may not %s: add the scope %s to the app "+
				"on Zoom's App Marketplace and run again; nothing was sent", n.what, n.advice)
		}
	}
	return nil
}

// accessError turns a failed access check into the error the run ends with.
func accessError(err error) error {
	var ae *zoom.AuthError
	var ze *zoom.Error
	switch {
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitInterrupted, err: errors.New("interrupted; nothing was sent")}
	case errors.As(err, &ae):
		return usageErrorf("%v: check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, "+
			"and that the app is activated; nothing was sent", err)
	case zoom.IsMissingScope(err):
		return usageErrorf("the token may not %s: add the scope %s to the app and run again; "+
			"nothing was sent (%v)", needGet.what, needGet.advice, err)
	case errors.As(err, &ze) && ze.HTTPStatus == http.StatusUnauthorized:
		return usageErrorf("zoom refused the access token: %v; nothing was sent", err)
	}
	return usageErrorf("check access to Zoom: %v; nothing was sent", err)
}
