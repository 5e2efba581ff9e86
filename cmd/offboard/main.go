// Command offboard activates and deactivates Zoom users in bulk from a CSV file.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A report on standard output piped into a command that quits early,
	// such as head, must stop the run with an error, not kill it silently.
	signal.Ignore(syscall.SIGPIPE)
	e := newSystemEnv()
	ctx, abandon := interrupts()
	e.abandon = abandon
	os.Exit(run(ctx, os.Args[1:], e))
}

// interrupts returns a context that ends at the first interrupt or SIGTERM,
// and a channel closed at the second, when the user no longer wants to wait
// for the calls in flight.
func interrupts() (context.Context, <-chan struct{}) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	abandon := make(chan struct{})
	go func() {
		<-sigs
		cancel()
		<-sigs
		close(abandon)
	}()
	return ctx, abandon
}
