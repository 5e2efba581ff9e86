package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/offboard/offboard/zoom"
)

// Service is what a run needs of Zoom. *zoom.Client is one.
type Service interface {
	SetStatus(ctx context.Context, userID string, a zoom.Action) (zoom.Response, error)
	GetUser(ctx context.Context, userID string) (zoom.User, zoom.Response, error)
}

// Reasons a run stops before its end. The rows it did not finish are Pending.
var (
	// ErrDailyLimit means the account reached Zoom's daily limit. The
	// *StopError carries the time it resets.
	ErrDailyLimit = errors.New("zoom's daily rate limit is reached")
	// ErrCredentials means Zoom refused the credentials or the token.
	ErrCredentials = errors.New("zoom refused the credentials")
	// ErrReport means the report could not be written.
	ErrReport = errors.New("the report cannot be written")
	// ErrBroken means many rows in a row failed the same way, with an error
	// that says the run itself is wrong, such as a missing scope.
	ErrBroken = errors.New("the run is failing the same way on every row")
)

// StopError says why a run stopped early.
type StopError struct {
	Reason  error     // one of the Err values above
	Err     error     // the error that stopped the run
	ResetAt time.Time // for ErrDailyLimit: when the limit resets, or zero
}

func (e *StopError) Error() string { return fmt.Sprintf("%v: %v", e.Reason, e.Err) }

// Unwrap returns both the reason and the cause.
func (e *StopError) Unwrap() []error { return []error{e.Reason, e.Err} }

// brokenAfter is how many rows in a row may fail with an error that condemns
// the whole run (401, 403, missing scope) before the run stops.
const brokenAfter = 10

// DefaultGrace is how long calls in flight may finish once a run is stopped.
const DefaultGrace = 5 * time.Second

// Runner runs rows through a pool of workers.
type Runner struct {
	Service     Service
	Concurrency int              // workers; at least 1
	DryRun      bool             // change nothing: preview every row
	Precheck    bool             // get each user before changing them
	Roster      *Roster          // with DryRun: judge rows from this listing, not a get each
	Journal     *Journal         // the report of the run being resumed, or nil
	Report      *Report          // every row's result goes here
	OnResult    func(Result)     // optional, called for every result, for progress
	Now         func() time.Time // nil means time.Now

	// Grace is how long calls in flight may go on once the run is stopped;
	// zero means DefaultGrace. Closing Abandon ends them at once. Either way
	// their rows are recorded as Pending.
	Grace   time.Duration
	Abandon <-chan struct{}

	mu     sync.Mutex
	counts map[Outcome]int
	streak int // consecutive rows failing with a run-condemning error
}

// Counts returns how many rows ended in each outcome so far.
func (r *Runner) Counts() map[Outcome]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[Outcome]int, len(r.counts))
	for k, v := range r.counts {
		m[k] = v
	}
	return m
}

// run is the state of one Run.
type run struct {
	*Runner
	stopped context.Context // ends when no more rows may be sent
	stop    context.CancelCauseFunc
	calls   context.Context // ends when calls in flight must be abandoned
}

// Run sends every row to Zoom and records its result. A row that fails is a
// line in the report; only a reason to stop the whole run returns an error: a
// *StopError, ctx's error when ctx ends, or an input error. Once the run is
// stopped no new row is sent, calls in flight get Grace to finish, and every
// row not finished is recorded as Pending.
func (r *Runner) Run(ctx context.Context, rows iter.Seq2[Row, error]) error {
	r.counts = make(map[Outcome]int)
	st := &run{Runner: r}
	st.stopped, st.stop = context.WithCancelCause(ctx)
	defer st.stop(nil)
	calls, abandon := context.WithCancelCause(context.WithoutCancel(ctx))
	st.calls = calls
	finished := make(chan struct{})
	defer close(finished)
	go st.abandonAfterStop(abandon, finished)

	g := new(errgroup.Group)
	g.SetLimit(max(r.Concurrency, 1))
	if err := st.dispatch(g, rows); err != nil {
		st.stop(err)
		g.Wait()
		return err
	}
	g.Wait()
	return context.Cause(st.stopped)
}

// abandonAfterStop ends the calls in flight once the run has been stopped
// for Grace, or at once when Abandon is closed.
func (st *run) abandonAfterStop(abandon context.CancelCauseFunc, finished <-chan struct{}) {
	grace := st.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	select {
	case <-finished:
		return
	case <-st.stopped.Done():
	}
	if errors.Is(context.Cause(st.stopped), ErrReport) {
		// Nothing more can be recorded: waiting would only add calls without a record.
		grace = 0
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-finished:
	case <-st.Abandon:
	case <-t.C:
	}
	abandon(context.Cause(st.stopped))
}

// dispatch hands every row to a worker, or records it at once when it is not
// to be sent. It returns an error only for input that cannot be read.
func (st *run) dispatch(g *errgroup.Group, rows iter.Seq2[Row, error]) error {
	seq := 0
	for row, err := range rows {
		if err != nil {
			return err
		}
		s := seq
		seq++
		if st.Journal != nil {
			if o := st.Journal.Done(row); o != "" {
				// The report already holds its result.
				st.count(o)
				if st.OnResult != nil {
					st.OnResult(Result{Seq: s, Line: row.Line, User: row.User, Action: row.Action, Outcome: o})
				}
				continue
			}
		}
		if row.Outcome != "" || st.stopped.Err() != nil {
			st.record(st.unsent(s, row))
			continue
		}
		work := st.apply
		if st.DryRun {
			work = st.preview
		}
		if st.Service == nil {
			// An offline preview asks nothing of anyone: no worker is needed.
			st.record(work(s, row))
			continue
		}
		g.Go(func() error {
			if st.stopped.Err() != nil {
				// The run stopped while this row waited for a worker.
				work = func(s int, row Row) Result { return st.unsent(s, row) }
			}
			st.record(work(s, row))
			return nil
		})
	}
	return nil
}

// unsent is the result of a row that is not sent: judged by the reader, or
// left for later because the run stopped.
func (st *run) unsent(seq int, row Row) Result {
	res := st.result(seq, row)
	res.Outcome, res.Message = row.Outcome, row.Message
	if res.Outcome == "" {
		res.Outcome, res.Message = Pending, notSent+stopMessage(st.stopped)
	}
	if res.Outcome == Pending && st.uncertain(row) {
		// Keep the mark for the next resume, and the reason it was held back.
		res.Message = notChecked + strings.TrimPrefix(res.Message, notSent) +
			"; an earlier run may have changed the user, who is checked before any change"
	}
	return res
}

// uncertain reports whether the run resumes one whose report leaves row's
// user possibly changed.
func (st *run) uncertain(row Row) bool {
	return st.Journal != nil && st.Journal.Uncertain(row)
}

func (r *Runner) result(seq int, row Row) Result {
	return Result{Seq: seq, Line: row.Line, User: row.User, Action: row.Action}
}

// apply changes one user's status and says how it went.
func (st *run) apply(seq int, row Row) Result {
	ctx, done := st.rowCalls()
	defer done()
	res := st.result(seq, row)
	user := row.User
	if st.Precheck || st.uncertain(row) {
		u, resp, err := st.Service.GetUser(ctx, row.User)
		res.Attempts += resp.Attempts
		res.HTTPStatus, res.TrackingID = resp.HTTPStatus, resp.TrackingID
		if err != nil {
			return st.failed(ctx, res, row, err)
		}
		if o, code, msg := judgeUser(u, row.Action); o != Planned {
			res.Outcome, res.ZoomCode, res.Message = o, code, msg
			return res
		}
		if st.stopped.Err() != nil {
			// Stopped while checking: the change would be a new call.
			res.Outcome, res.Message = Pending, "checked, not changed: "+stopMessage(st.stopped)
			return res
		}
		if u.ID != "" {
			user = u.ID
		}
	}
	resp, err := st.Service.SetStatus(ctx, user, row.Action)
	res.Attempts += resp.Attempts
	res.HTTPStatus, res.TrackingID = resp.HTTPStatus, resp.TrackingID
	if err == nil {
		st.noteFailure(false)
		res.Outcome, res.Message = Updated, updatedMessage(row.Action, resp)
		return res
	}
	if _, refused := zoom.RefusalCode(err); refused && st.already(ctx, &res, user, row.Action) {
		return res
	}
	return st.failed(ctx, res, row, err)
}

// rowCalls returns the context of one row's requests, and a func to call
// when the row is done. The context ends when calls in flight are abandoned,
// and also when the run stops before the row's first request went out: a
// row still waiting for its turn at the rate limit is not sent after a stop.
//
// The zoom client tells when a request goes out through zoom.WithSendHook.
// A Service that does not call the hook has its calls ended at the stop,
// which is safe: a row with an attempt counted is checked on resume.
func (st *run) rowCalls() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(st.calls)
	var mu sync.Mutex
	sent, cut := false, false
	ctx = zoom.WithSendHook(ctx, func() {
		mu.Lock()
		sent = !cut
		mu.Unlock()
	})
	stop := context.AfterFunc(st.stopped, func() {
		mu.Lock()
		defer mu.Unlock()
		if !sent {
			cut = true
			cancel(context.Cause(st.stopped))
		}
	})
	return ctx, func() { stop(); cancel(nil) }
}

// get gets a user for a row, counting the requests in res.
func (st *run) get(ctx context.Context, res *Result, user string) (zoom.User, error) {
	u, resp, err := st.Service.GetUser(ctx, user)
	res.Attempts += resp.Attempts
	res.HTTPStatus, res.TrackingID = resp.HTTPStatus, resp.TrackingID
	return u, err
}

// already checks, after Zoom refused a change, whether the user has the
// requested status anyway, and if so makes res Unchanged.
func (st *run) already(ctx context.Context, res *Result, user string, a zoom.Action) bool {
	u, _, err := st.Service.GetUser(ctx, user)
	if err != nil || u.Status != a.Status() {
		return false
	}
	st.noteFailure(false)
	res.Outcome, res.Message = Unchanged, "already "+u.Status+" (zoom refused the change)"
	return true
}

// failed completes the result of a row whose call in ctx failed with err.
// A row cut short before any request was sent is pending as never sent.
func (st *run) failed(ctx context.Context, res Result, row Row, err error) Result {
	switch {
	case ctx.Err() == nil || st.calls.Err() != nil:
		return st.failure(res, err)
	case res.Attempts == 0:
		unsent := st.unsent(res.Seq, row)
		res.Outcome, res.Message = unsent.Outcome, unsent.Message
		return res
	}
	// Cut at the stop just as its request was about to go out.
	describeError(&res, err)
	res.Outcome = Pending
	res.Message = "cut short (" + stopMessage(st.stopped) + "); checked again on resume"
	return res
}

// failure completes the result of a row whose call failed with err.
func (st *run) failure(res Result, err error) Result {
	describeError(&res, err)
	switch {
	case st.calls.Err() != nil:
		res.Outcome = Pending
		res.Message = "abandoned in flight (" + stopMessage(st.stopped) + "); checked again on resume"
	case st.stopsRun(err):
		res.Outcome, res.Message = Pending, "not finished: "+err.Error()
	default:
		res.Outcome = Failed
	}
	return res
}

func updatedMessage(a zoom.Action, resp zoom.Response) string {
	msg := "deactivated"
	if a == zoom.Activate {
		msg = "activated"
	}
	if resp.Confirmed {
		msg += " (an answer was lost; a later check confirmed the change)"
	}
	return msg
}

// describeError fills the report's columns from err.
func describeError(res *Result, err error) {
	var ze *zoom.Error
	if errors.As(err, &ze) {
		res.HTTPStatus, res.ZoomCode, res.TrackingID = ze.HTTPStatus, ze.Code, ze.TrackingID
		res.Message = ze.Message
	} else {
		res.Message = err.Error()
	}
	if !zoom.IsTransient(err) {
		return
	}
	if res.Attempts > 1 {
		res.Message = fmt.Sprintf("gave up after %d attempts: %s", res.Attempts, res.Message)
	}
	res.Message += "; run again with --resume to retry"
}

// stopsRun reports whether err ends the whole run, and if so stops it.
func (st *run) stopsRun(err error) bool {
	stop := st.stop
	var rl *zoom.RateLimitError
	var ae *zoom.AuthError
	switch {
	case errors.As(err, &rl) && rl.Daily():
		stop(&StopError{Reason: ErrDailyLimit, Err: err, ResetAt: rl.RetryAt})
		return true
	case errors.As(err, &ae):
		stop(&StopError{Reason: ErrCredentials, Err: err})
		return true
	}
	// Every other row would meet a refused token or a missing scope too.
	if st.noteFailure(zoom.IsForbidden(err)) {
		stop(&StopError{Reason: ErrBroken, Err: err})
	}
	return false
}

// noteFailure counts consecutive condemning failures and reports whether
// there are enough to stop the run.
func (r *Runner) noteFailure(condemning bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !condemning {
		r.streak = 0
		return false
	}
	r.streak++
	return r.streak == brokenAfter
}

// record writes a result to the report and counts it. A report that cannot
// be written stops the run: calls without a record must not happen.
func (st *run) record(res Result) {
	if res.FinishedAt.IsZero() {
		res.FinishedAt = st.now()
	}
	st.count(res.Outcome)
	if st.OnResult != nil {
		st.OnResult(res)
	}
	if err := st.Report.Write(res); err != nil {
		st.stop(&StopError{Reason: ErrReport, Err: err})
	}
}

func (r *Runner) count(o Outcome) {
	r.mu.Lock()
	r.counts[o]++
	r.mu.Unlock()
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// stopMessage says why ctx ended, for a Pending row's message.
func stopMessage(ctx context.Context) string {
	var se *StopError
	cause := context.Cause(ctx)
	switch {
	case errors.As(cause, &se):
		return se.Reason.Error()
	case errors.Is(cause, context.Canceled):
		return "the run was interrupted"
	case cause != nil:
		return cause.Error()
	}
	return "the run stopped"
}
