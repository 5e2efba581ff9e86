package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/zoom"
)

// runFlags are the flags of offboard run.
type runFlags struct {
	action      string
	column      string
	report      string
	plan        string
	share       float64
	rate        float64
	concurrency int
	maxAttempts int
	apiURL      string
	tokenURL    string
	sandbox     bool
	yes         bool
	quiet       bool
	dryRun      bool
	offline     bool
	resume      bool
	encoding    string
	delimiter   string
	effective   string
	onlyDomains []string
	guard       guardFlags
}

const runExamples = `  # Rehearse on the built-in Zoom sandbox: no account, no credentials.
  offboard run --sandbox testdata/leavers.csv

  # Preview against the real account, changing nothing.
  offboard run --dry-run leavers.csv

  # Deactivate everyone in the file on a Business account, for cron.
  offboard run --plan business --yes --quiet leavers.csv

  # Reactivate users read from standard input.
  cut -d, -f1 returning.csv | offboard run --action activate --report returning.report.csv -`

func newRunCmd(e *env) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] FILE",
		Short: "Activate or deactivate every user listed in a CSV file",
		Long: `Run reads FILE, a CSV with a header, and for each row activates or
deactivates the Zoom user it names (a Zoom user ID or an email address). FILE
may be - for standard input, in which case --report is required.

Every row ends in the report, a CSV with its outcome, HTTP status and Zoom
error code. Calls are paced by one token bucket for the whole run, sized for
Zoom's Light rate-limit category.

Before the first change, one call checks that Zoom takes the credentials and
grants the scope to change users. On a terminal, run then shows what it is
about to do and asks you to type the number of changes; elsewhere it needs
--yes. --dry-run previews every row without changing anyone, from a listing
of the account when the file is large. --max-changes, --protect and --limit
bound what a run may change.

Credentials come from the environment: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and
ZOOM_CLIENT_SECRET of a Server-to-Server OAuth app, or ZOOM_ACCESS_TOKEN.`,
		Example:     runExamples,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"exit codes": exitCodesHelp},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(
		&f.action,
		"action",
		"deactivate",
		"action for rows that have none: activate or deactivate",
	)
	fl.StringVar(
		&f.column,
		"column",
		"",
		"the identity column, when the default match is not wanted",
	)
	fl.StringVar(
		&f.report,
		"report",
		"",
		"where the report goes (default FILE.report.csv, or FILE.dry-run.csv for a preview; - is stdout)",
	)
	fl.StringVar(
		&f.plan,
		"plan",
		"pro",
		"the account's Zoom plan, which sets the Light limit: free, pro or business",
	)
	fl.Float64Var(&f.share, "share", 0.8, "fraction of the plan's limit this run may use")
	fl.Float64Var(&f.rate, "rate", 0, "requests per second, overriding --plan and --share")
	fl.IntVar(
		&f.concurrency,
		"concurrency",
		0,
		"workers (default: enough to reach the rate at the latency seen)",
	)
	fl.IntVar(&f.maxAttempts, "max-attempts", 5, "attempts per row for retryable failures")
	fl.StringVar(
		&f.apiURL,
		"api-url",
		"",
		"Zoom's API base (default $ZOOM_API_URL or "+zoom.DefaultAPIURL+")",
	)
	fl.StringVar(
		&f.tokenURL,
		"token-url",
		"",
		"Zoom's token endpoint (default $ZOOM_TOKEN_URL or "+zoom.DefaultTokenURL+")",
	)
	fl.BoolVar(
		&f.sandbox,
		"sandbox",
		false,
		"run against the built-in Zoom simulator on loopback; needs no credentials",
	)
	fl.BoolVar(
		&f.yes,
		"yes",
		false,
		"go ahead without the question a terminal gets; needed where there is no terminal",
	)
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar and no summary, for cron")
	fl.BoolVar(
		&f.dryRun,
		"dry-run",
		false,
		"change nothing: get each user, or list a large file's account, and report what a run would do",
	)
	fl.BoolVar(
		&f.offline,
		"offline",
		false,
		"with --dry-run: check the file alone, with no network",
	)
	fl.StringVar(
		&f.encoding,
		"encoding",
		"",
		"the file's encoding: utf-8, utf-16le, utf-16be, windows-1252 or latin1 (default: by its BOM)",
	)
	fl.StringVar(
		&f.delimiter,
		"delimiter",
		"",
		"the field delimiter: , ; | or tab (default: detected)",
	)
	fl.StringVar(&f.effective, "effective-column", "",
		"a date column (2026-11-30 or RFC 3339): rows dated after today (UTC) are skipped")
	fl.StringArrayVar(&f.onlyDomains, "only-domain", nil,
		"accept only emails in this domain (repeatable); other rows are invalid")
	fl.BoolVar(
		&f.resume,
		"resume",
		false,
		"continue the run whose report is at the report path: rows it records as done are not sent again",
	)
	addGuardFlags(fl, &f.guard)
	return cmd
}

// planLight is the Light rate limit of each Zoom plan, in requests per second.
var planLight = map[string]float64{"free": 4, "pro": 30, "business": 80}

func (f *runFlags) check(file string) error {
	if err := f.guard.check(); err != nil {
		return err
	}
	if _, err := zoom.ParseAction(f.action); err != nil {
		return usageErrorf("--action: %v", err)
	}
	if _, ok := planLight[f.plan]; !ok {
		return usageErrorf("--plan %q: want free, pro or business", f.plan)
	}
	if !(f.share > 0 && f.share <= 1) {
		return usageErrorf("--share %v: want a fraction above 0, at most 1", f.share)
	}
	if f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0) {
		return usageErrorf("--rate %v: want a positive number of requests per second", f.rate)
	}
	if f.concurrency < 0 {
		return usageErrorf("--concurrency %d: want a positive number of workers", f.concurrency)
	}
	if f.maxAttempts < 1 {
		return usageErrorf("--max-attempts %d: want at least 1", f.maxAttempts)
	}
	if f.offline && !f.dryRun {
		return usageErrorf("--offline works only with --dry-run")
	}
	if f.resume && (f.report == "-" || f.dryRun) {
		return usageErrorf(
			"--resume needs a report file, and a real run: not --report - or --dry-run",
		)
	}
	if file == "-" && f.report == "" {
		return usageErrorf("reading standard input needs --report PATH (or --report - for stdout)")
	}
	return nil
}

// pace returns the requests per second the run may use.
func (f *runFlags) pace() float64 {
	if f.rate > 0 {
		return f.rate
	}
	return planLight[f.plan] * f.share
}

// reportPath returns where the report goes: beside the input, leavers.csv
// giving leavers.report.csv, or leavers.dry-run.csv for a preview, with
// .sandbox before the ending for a run on the built-in sandbox.
func (f *runFlags) reportPath(file string) string {
	if f.report != "" {
		return f.report
	}
	name := strings.TrimSuffix(file, filepath.Ext(file))
	if f.sandbox {
		name += ".sandbox"
	}
	if f.dryRun {
		return name + ".dry-run.csv"
	}
	return name + ".report.csv"
}

// replaceable reports whether an existing report at the default path may be
// replaced: a preview's or a built-in sandbox's, which records no change to
// a real account, so that nothing is lost with it.
func (f *runFlags) replaceable() bool {
	return f.report == "" && (f.dryRun || f.sandbox)
}

func runRun(ctx context.Context, e *env, f *runFlags, file string) error {
	if err := f.check(file); err != nil {
		return err
	}
	path := f.reportPath(file)
	if err := checkReportPath(path); err != nil {
		return err
	}
	in, err := openInput(e, f, file)
	if err != nil {
		return err
	}
	defer in.Close()
	var journal *batch.Journal
	if f.resume {
		if journal, err = readJournal(path, in); err != nil {
			return err
		}
		defer journal.Close()
	}

	svc := &service{}
	if !f.offline {
		var cleanup func()
		if svc, cleanup, err = newService(e, f); err != nil {
			return err
		}
		defer cleanup()
	}
	prep, err := prepare(ctx, e, f, file, in, svc, journal)
	if err != nil {
		return err
	}

	report, path, err := openReport(e, f, file, journal)
	if err != nil {
		return err
	}
	p := newProgress(e, f, in.Summary().Rows, svc.gate)
	r := &batch.Runner{
		Concurrency: svc.workers,
		Report:      report,
		Journal:     journal,
		DryRun:      f.dryRun,
		Precheck:    f.guard.precheck,
		Roster:      prep.roster,
		OnResult:    prep.observe(f, p.add),
		Abandon:     e.abandon,
	}
	if svc.client != nil {
		r.Service = svc.client
	}
	start := time.Now()
	runErr := r.Run(ctx, prep.rows)
	closeErr := report.Close()
	p.finish()
	if closeErr != nil && runErr == nil {
		runErr = &batch.StopError{Reason: batch.ErrReport, Err: closeErr}
	}
	counts := r.Counts()
	if !f.quiet {
		daily := errors.Is(runErr, batch.ErrDailyLimit)
		printSummary(e.stderr, counts, time.Since(start), daily, svc.gate, path)
		prep.printAfter(e.stderr, f, file, counts)
	}
	return exitFor(e, resumeHint(f, file), counts, runErr)
}

func openInput(e *env, f *runFlags, file string) (*batch.Input, error) {
	delim, err := parseDelimiter(f.delimiter)
	if err != nil {
		return nil, err
	}
	opt := batch.ReadOptions{
		Name:            file,
		Column:          f.column,
		DefaultAction:   zoom.Action(f.action),
		Delimiter:       delim,
		Encoding:        f.encoding,
		EffectiveColumn: f.effective,
		OnlyDomains:     f.onlyDomains,
	}
	var in *batch.Input
	if file == "-" {
		in, err = batch.OpenReader(e.stdin, opt)
	} else {
		in, err = batch.Open(file, opt)
	}
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return in, nil
}

// parseDelimiter reads --delimiter: one character, or "tab".
func parseDelimiter(s string) (rune, error) {
	switch s {
	case "":
		return 0, nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case ",", ";", "|":
		return rune(s[0]), nil
	}
	return 0, usageErrorf("--delimiter %q: want , ; | or tab", s)
}

// openReport creates the report, or with --resume reopens it and reads what
// it records, after checking that it was written for this input.
func openReport(
	e *env,
	f *runFlags,
	file string,
	j *batch.Journal,
) (*batch.Report, string, error) {
	path := f.reportPath(file)
	if path == "-" {
		r, err := batch.NewStreamReport(e.stdout)
		return r, "standard output", err
	}
	if j != nil {
		r, err := batch.ResumeReport(j)
		if err != nil {
			return nil, "", &exitError{code: exitUsage, err: err}
		}
		return r, path, nil
	}
	if f.replaceable() {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, "", usageErrorf("replace the earlier report: %v", err)
		}
	}
	r, err := batch.CreateReport(path)
	if errors.Is(err, os.ErrExist) {
		return nil, "", usageErrorf(
			"report %s already exists: add --resume to continue that run, "+
				"or choose another report with --report",
			path,
		)
	}
	if err != nil {
		return nil, "", &exitError{code: exitUsage, err: err}
	}
	return r, path, nil
}

// checkReportPath refuses a report path that exists and is not a regular
// file, such as a directory, a device or a pipe, before anything opens it.
func checkReportPath(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().IsRegular() {
		return nil
	}
	return usageErrorf("report %s is not a regular file (%s): choose another with --report",
		path, fi.Mode().Type())
}

// readJournal reads the report of the run to resume and checks that it was
// written for in, before anything is sent.
func readJournal(path string, in *batch.Input) (*batch.Journal, error) {
	j, err := batch.ReadJournal(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageErrorf("there is no report at %s to resume: run without --resume", path)
	}
	if errors.Is(err, batch.ErrReportInUse) {
		return nil, usageErrorf("%v: wait for the other run to end, or find it and stop it", err)
	}
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if err := j.Verify(in.Rows()); err != nil {
		j.Close()
		return nil, usageErrorf("cannot resume from %s: %v", path, err)
	}
	return j, nil
}

// resumeHint is the command that continues a stopped run.
func resumeHint(f *runFlags, file string) string {
	switch {
	case f.dryRun:
		return "run the same preview again: a preview changes nothing, so it has nothing to resume"
	case f.report == "-":
		// A report on standard output is gone: it cannot be resumed.
		return "offboard run --precheck --report FILE [the same flags] " + file +
			"\n(--precheck finds the users already changed, which are then unchanged)"
	}
	hint := "offboard run --resume"
	if f.report != "" {
		hint += " --report " + f.report
	}
	return hint + " [the same flags] " + file
}

// exitFor turns how the run ended into the exit code, printing why it stopped.
func exitFor(e *env, hint string, counts map[batch.Outcome]int, err error) error {
	var se *batch.StopError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(e.stderr, "offboard: the run stopped early: %v\n", se)
		if !se.ResetAt.IsZero() {
			fmt.Fprintf(
				e.stderr,
				"The limit resets at %s (%s local time).\n",
				se.ResetAt.UTC().
					Format(time.RFC3339),
				se.ResetAt.Local().Format("2006-01-02 15:04 MST"),
			)
		}
		if errors.Is(se, batch.ErrReport) {
			fmt.Fprintf(
				e.stderr,
				"The report lacks the rows finished since it failed. Once it can be "+
					"written, finish the run with\n  %s\nwhich checks those users before any change.\n",
				hint,
			)
			return &exitError{code: exitStopped}
		}
		fmt.Fprintf(
			e.stderr,
			"Rows not done are recorded as pending. To finish the run later:\n  %s\n",
			hint,
		)
		return &exitError{code: exitStopped}
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "offboard: interrupted; rows not done are recorded as pending. "+
			"To finish the run:\n  %s\n", hint)
		return &exitError{code: exitInterrupted}
	case err != nil:
		return &exitError{code: exitUsage, err: err}
	case counts[batch.Failed] > 0 || counts[batch.Invalid] > 0:
		return &exitError{code: exitRowsFailed}
	}
	return nil
}
