package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/offboard/offboard/batch"
)

// confirm lets a real run go on only when the user has said so: with --yes,
// or on a terminal by typing the number of changes the run would send. A
// run on the sandbox, or one that would send nothing, goes on without a
// question; elsewhere, without --yes, it is refused.
func confirm(ctx context.Context, e *env, f *runFlags, file string, plan batch.Plan,
	svc *service) error {
	n := plan.Changes()
	switch {
	case n == 0 || f.yes || f.sandbox:
		return nil
	case !e.stdinTTY || !e.stderrTTY || file == "-":
		return usageErrorf("this run would send %s, and there is no terminal to ask "+
			"whether to go on: add --yes (and try --dry-run first); nothing was sent",
			plural(n, "change"))
	}
	describePlan(e.stderr, f, plan, svc)
	fmt.Fprintf(e.stderr, "Type %d to go on, anything else to stop: ", n)
	answer, err := readLine(ctx, e.stdin)
	switch {
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitInterrupted, err: errors.New("interrupted; nothing was sent")}
	case err != nil && answer == "":
		return usageErrorf("no answer (%v); nothing was sent", err)
	case strings.TrimSpace(answer) != strconv.Itoa(n):
		return usageErrorf("not confirmed: %q is not %d; nothing was sent",
			strings.TrimSpace(answer), n)
	}
	return nil
}

// describePlan shows what the run is about to do, before the question.
func describePlan(w io.Writer, f *runFlags, plan batch.Plan, svc *service) {
	fmt.Fprintf(w, "This run will change up to %d Zoom users in %s (%s):\n",
		plan.Changes(), svc.account, svc.apiURL)
	fmt.Fprintf(w, "  deactivate %d\n  activate   %d\n", plan.Deactivate, plan.Activate)
	if plan.Held > 0 {
		fmt.Fprintf(w, "  not sent   %d (invalid, skipped, protected or past --limit)\n", plan.Held)
	}
	if plan.Done > 0 {
		fmt.Fprintf(w, "  done       %d (by the run being resumed)\n", plan.Done)
	}
	calls := callsFor(plan.Changes(), f.guard.precheck)
	fmt.Fprintf(w, "At %s that takes %s.\n", paceText(f.pace()), aboutDuration(calls, f.pace()))
	if plan.Deactivate > 0 {
		fmt.Fprintln(w, "Deactivating takes users' licences away; activating them again "+
			"does not give the licences back.")
	}
	fmt.Fprintln(w, "To see first what the run would do, stop here and add --dry-run.")
}

// readLine reads one line from r, or gives up when ctx ends. The read
// itself cannot be interrupted; the process is about to end when it is
// left behind.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type line struct {
		s   string
		err error
	}
	got := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(r).ReadString('\n')
		got <- line{s, err}
	}()
	select {
	case l := <-got:
		return l.s, l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
