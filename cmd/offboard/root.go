package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes. They are documented in --help and in the README.
const (
	exitOK          = 0   // every row updated, unchanged, skipped or planned
	exitRowsFailed  = 1   // some rows failed or are invalid
	exitUsage       = 2   // nothing was done: usage, setup or input error
	exitStopped     = 3   // the run stopped early; rows are pending
	exitInterrupted = 130 // the user interrupted the run
)

const exitCodesHelp = `Exit codes:
  0    every row updated, unchanged, skipped or planned (rows that --limit
       held back are pending)
  1    some rows failed or are invalid (see the report)
  2    nothing was done: usage, setup or input error
  3    the run stopped early (daily limit, credentials refused, report unwritable);
       rows not done are pending
  130  interrupted; rows not done are pending`

// env is what a command may touch of the outside world. Tests build their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// stdinTTY and stderrTTY say whether those streams are terminals: only then
	// does offboard ask questions or draw a progress bar.
	stdinTTY  bool
	stderrTTY bool
	// abandon is closed when the user interrupts a second time: calls still
	// in flight are then given up at once.
	abandon <-chan struct{}
}

func newSystemEnv() *env {
	return &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// exitError carries an exit code out of a command. Its message, if any, has
// already been printed or is printed by run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a usage, setup or input error: exit 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(e.stderr, "offboard: %v\n", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, missing arguments and the like.
	path := root.CommandPath()
	if cmd, _, ferr := root.Find(args); ferr == nil {
		path = cmd.CommandPath()
	}
	fmt.Fprintf(e.stderr, "offboard: %v\nRun '%s --help' for usage.\n", err, path)
	return exitUsage
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "offboard",
		Short:         "Activate and deactivate Zoom users in bulk from a CSV file",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{"exit codes": exitCodesHelp},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newRunCmd(e), newSandboxCmd(e), newCandidatesCmd(e))
	for _, cmd := range append(root.Commands(), root) {
		if codes, ok := cmd.Annotations["exit codes"]; ok {
			cmd.SetUsageTemplate(root.UsageTemplate() + "\n" + codes + "\n")
		}
	}
	return root
}
