package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/offboard/offboard/batch"
	"github.com/offboard/offboard/zoom"
)

// candidatesFlags are the flags of offboard candidates.
type candidatesFlags struct {
	inactiveDays  int
	userType      string
	status        string
	action        string
	includeAdmins bool
	output        string
	conn          runFlags // the plan, the sandbox and the endpoints, as run takes them
}

// candidateTypes maps --type to the user types it keeps; nil keeps all.
var candidateTypes = map[string][]int{
	"licensed": {zoom.TypeLicensed},
	"basic":    {zoom.TypeBasic},
	"any":      nil,
}

const candidatesExamples = `  # Try it on the built-in sandbox's demo directory: no account needed.
  offboard candidates --sandbox

  # Licensed users who have not signed in for 90 days: review, then deactivate.
  offboard candidates --output candidates.csv
  offboard run candidates.csv

  # Users of any type unseen for a year, on a Business account, to standard output.
  offboard candidates --type any --inactive-days 365 --plan business > unseen.csv`

const candidatesLong = `Candidates lists the account's users and writes those of --type (licensed
by default) who have not signed in for --inactive-days days as a CSV file
that offboard run takes as it is. A user who never signed in is a candidate
once their account is that old. Review the file, delete the lines of users to
keep, then run it.

Columns: email, user_id, action, last_login_time, type, role_name, dept.
Users who never signed in come first, oldest accounts first, then the others
by their last sign-in, oldest first. Times are RFC 3339 in UTC; an empty
last_login_time means never signed in. Run reads the email and action columns
and ignores the others.

Owners are always left out, since Zoom refuses to change them; admins are
left out unless --include-admins is given. Zoom's listing gives roles as
role_id only: built-in roles are named from it, and a user with a custom role
who passes the other filters is got once to learn its name. The listing is
paced at the plan's Medium rate limit, the gets share the Light one (80% of
it, as run does). The file is written only once the listing
is complete; a summary goes to standard error.

Credentials come from the environment, as for offboard run.`

const candidatesExitCodes = `Exit codes:
  0    the file is written (it may hold no users)
  2    nothing was done: usage or setup error, or --output exists
  3    Zoom's answers stopped the listing, or the file could not be written;
       no file is left
  130  interrupted; no file is left`

func newCandidatesCmd(e *env) *cobra.Command {
	f := candidatesFlags{conn: runFlags{share: 0.8, maxAttempts: 5}}
	cmd := &cobra.Command{
		Use:     "candidates [flags]",
		Short:   "List licensed users who have not signed in for months, as input for run",
		Long:    candidatesLong,
		Example: candidatesExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCandidates(cmd.Context(), e, &f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.inactiveDays, "inactive-days", 90,
		"keep users not signed in for `N` days (never signed in: created N days ago)")
	fl.StringVar(&f.userType, "type", "licensed", "user type to include: licensed, basic or any")
	fl.StringVar(&f.status, "status", "active", "users to list: active, inactive or pending")
	fl.StringVar(&f.action, "action", "deactivate",
		"action written into the file: deactivate or activate")
	fl.BoolVar(&f.includeAdmins, "include-admins", false, "keep admins (owners are always left out)")
	fl.StringVar(&f.output, "output", "",
		"write the file to `PATH` (created, never overwritten) instead of stdout")
	fl.StringVar(&f.conn.plan, "plan", "pro",
		"the account's Zoom plan, which sets the rate limits: free, pro or business")
	fl.StringVar(&f.conn.apiURL, "api-url", "",
		"Zoom's API base (default $ZOOM_API_URL or "+zoom.DefaultAPIURL+")")
	fl.StringVar(&f.conn.tokenURL, "token-url", "",
		"Zoom's token endpoint (default $ZOOM_TOKEN_URL or "+zoom.DefaultTokenURL+")")
	fl.BoolVar(&f.conn.sandbox, "sandbox", false,
		"list the built-in Zoom simulator's demo directory; needs no credentials")
	cmd.Annotations = map[string]string{"exit codes": candidatesExitCodes}
	return cmd
}

func (f *candidatesFlags) check() error {
	if f.inactiveDays < 1 || f.inactiveDays > 100*366 {
		return usageErrorf("--inactive-days %d: want a number of days from 1 up", f.inactiveDays)
	}
	if _, ok := candidateTypes[f.userType]; !ok {
		return usageErrorf("--type %q: want licensed, basic or any", f.userType)
	}
	switch f.status {
	case "active", "inactive", "pending":
	default:
		return usageErrorf("--status %q: want active, inactive or pending", f.status)
	}
	if _, err := zoom.ParseAction(f.action); err != nil {
		return usageErrorf("--action: %v", err)
	}
	if _, ok := planLight[f.conn.plan]; !ok {
		return usageErrorf("--plan %q: want free, pro or business", f.conn.plan)
	}
	return nil
}

// criteria returns what the flags select, for users not signed in since
// before.
func (f *candidatesFlags) criteria(before time.Time, workers int) batch.Criteria {
	return batch.Criteria{
		Status:        f.status,
		Types:         candidateTypes[f.userType],
		Before:        before,
		IncludeAdmins: f.includeAdmins,
		Workers:       workers,
	}
}

func runCandidates(ctx context.Context, e *env, f *candidatesFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	out, err := openCandidatesOutput(e, f.output)
	if err != nil {
		return err
	}
	svc, cleanup, err := newService(e, &f.conn)
	if err != nil {
		out.discard()
		return err
	}
	defer cleanup()

	start := time.Now()
	before := start.Add(-time.Duration(f.inactiveDays) * 24 * time.Hour)
	l, err := batch.FindCandidates(ctx, svc.client, f.criteria(before, svc.workers))
	if err != nil {
		out.discard()
		return listingFailed(err)
	}
	if err := out.write(l.Candidates, zoom.Action(f.action)); err != nil {
		return &exitError{code: exitStopped, err: err}
	}
	printCandidatesSummary(e.stderr, f, l, before, out.name)
	printCandidatesCalls(e.stderr, svc, time.Since(start))
	return nil
}

// listingFailed turns an error that ended the listing into the exit code.
func listingFailed(err error) error {
	if errors.Is(err, context.Canceled) {
		return &exitError{code: exitInterrupted,
			err: errors.New("interrupted; no candidates were written")}
	}
	return &exitError{code: exitStopped, err: fmt.Errorf("%w; no candidates were written", err)}
}

// candidatesOutput is where the candidates go: a new file, or stdout.
type candidatesOutput struct {
	w    io.Writer
	file *os.File // nil for stdout
	name string   // as the summary shows it
}

// openCandidatesOutput creates path, readable and writable by its owner only
// since it holds addresses, or returns stdout when path is empty. It creates
// the file before any call to Zoom, so that an existing one stops the command
// at once.
func openCandidatesOutput(e *env, path string) (*candidatesOutput, error) {
	if path == "" {
		return &candidatesOutput{w: e.stdout, name: "standard output"}, nil
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, usageErrorf("%s already exists: move it away or choose another --output", path)
	}
	if err != nil {
		return nil, usageErrorf("create the candidates file: %w", err)
	}
	return &candidatesOutput{w: fh, file: fh, name: path}, nil
}

// write writes the candidates and closes the file.
func (o *candidatesOutput) write(users []zoom.User, a zoom.Action) error {
	err := batch.WriteCandidates(o.w, users, a)
	if o.file == nil {
		return err
	}
	if err == nil {
		err = o.file.Sync()
	}
	if cerr := o.file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", o.name, cerr)
	}
	if err != nil {
		os.Remove(o.name)
	}
	return err
}

// discard removes the file that was created for candidates never found.
func (o *candidatesOutput) discard() {
	if o.file != nil {
		o.file.Close()
		os.Remove(o.name)
	}
}

// printCandidatesSummary tells what the listing found, and what to do next.
func printCandidatesSummary(w io.Writer, f *candidatesFlags, l *batch.Listing, before time.Time,
	where string) {
	fmt.Fprintf(w, "Listed %s %s users in %s%s.\n", count(l.Listed), f.status,
		plural(l.Pages, "page"), restarted(l.Restarts))
	fmt.Fprintf(w, "Found %s: %s not signed in since %s (%s).\n",
		plural(len(l.Candidates), "candidate"), typeWords[f.userType],
		before.UTC().Format(time.DateOnly), plural(f.inactiveDays, "day"))
	if len(l.Candidates) > 0 {
		fmt.Fprintf(w, "Licences they hold: %s.\n", licences(l.Candidates))
	}
	if left := leftOut(l); left != "" {
		fmt.Fprintf(w, "Left out: %s.\n", left)
	}
	warnCandidates(w, f, len(l.Candidates))
	next := "offboard run"
	if f.conn.sandbox {
		// The built-in sandbox is gone with this command: a run needs its own.
		next = "offboard run --sandbox"
	}
	switch {
	case len(l.Candidates) == 0:
		fmt.Fprintf(w, "Nothing to review; %s holds only the header.\n", where)
	case where == "standard output":
		fmt.Fprintf(w, "Review the file, delete the lines of users to keep, then: %s FILE\n", next)
	default:
		fmt.Fprintf(w, "Wrote %s. Review it, delete the lines of users to keep, then:\n"+
			"  %s %s\n", where, next, where)
	}
}

// typeWords describes the users each --type keeps.
var typeWords = map[string]string{
	"licensed": "licensed users",
	"basic":    "basic users",
	"any":      "users of any type",
}

func restarted(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (started over %s: the page token expired)", plural(n, "time"))
}

// licences counts the candidates by user type, such as "12 Licensed, 3 Basic".
func licences(users []zoom.User) string {
	order := []int{zoom.TypeLicensed, zoom.TypeBasic, zoom.TypeNoMeeting, zoom.TypeNone}
	n := make(map[int]int)
	for _, u := range users {
		if n[u.Type] == 0 && !slices.Contains(order, u.Type) {
			order = append(order, u.Type)
		}
		n[u.Type]++
	}
	var parts []string
	for _, t := range order {
		if n[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[t], zoom.TypeName(t)))
		}
	}
	return strings.Join(parts, ", ")
}

// leftOut describes the users that passed the filters but are not in the file.
func leftOut(l *batch.Listing) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, what)
		}
	}
	add(l.Owners, plural(l.Owners, "owner")+" (Zoom refuses to change owners)")
	add(l.Admins, plural(l.Admins, "admin")+" (add --include-admins to keep them)")
	add(l.Vanished, plural(l.Vanished, "user")+" deleted during the listing")
	add(l.Undated, plural(l.Undated, "user")+" with neither a sign-in nor a creation date")
	return strings.Join(parts, ", ")
}

// warnCandidates warns about files that run cannot act on as they say.
func warnCandidates(w io.Writer, f *candidatesFlags, n int) {
	switch {
	case n == 0:
	case f.status == "pending":
		fmt.Fprintln(w, "Warning: Zoom refuses to activate or deactivate pending users, so run "+
			"will report them as failed; delete or unlink them in Zoom instead.")
	case zoom.Action(f.action).Status() == f.status:
		fmt.Fprintf(w, "Warning: these users are already %s, so run will report them "+
			"unchanged.\n", f.status)
	}
}

// printCandidatesCalls tells how many calls of each category the command made.
func printCandidatesCalls(w io.Writer, svc *service, elapsed time.Duration) {
	m, g := svc.medium.Stats(), svc.gate.Stats()
	fmt.Fprintf(w, "Requests: %d to list users (Medium, at most %.0f/s), %d to get users "+
		"(Light, at most %.1f/s), %d throttled (429), in %s.\n", m.Calls, m.Ceiling, g.Calls,
		g.Ceiling, m.Throttles+g.Throttles, elapsed.Round(100*time.Millisecond))
}
