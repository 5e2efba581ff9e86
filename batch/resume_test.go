package batch

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
)

// stoppedRun is how a run that was stopped ended.
type stoppedRun struct {
	err     error
	took    time.Duration // from the stop to the end of Run
	rows    [][]string    // the report's data records
	atStop  int           // status calls that had reached the sandbox at the stop
	doneAt  int           // status calls that had taken effect at the stop
	sbStats zoomtest.Stats
}

// runAndStop runs users through a runner on an in-process sandbox and
// stops it after stopAfter: by cancelling its context, and when abandonAfter
// is positive, by closing Abandon that long after. It runs inside a synctest
// bubble, so its times are the bubble's.
func runAndStop(t *testing.T, opts zoomtest.Options, r *Runner, n int,
	stopAfter, abandonAfter time.Duration) stoppedRun {
	t.Helper()
	users := zoomtest.Generate(n)
	opts.Users = users
	c, sb := newSandboxClient(t, opts, opts.LightRate)
	path := filepath.Join(t.TempDir(), "report.csv")
	rep, err := CreateReport(path)
	if err != nil {
		t.Fatal(err)
	}
	abandon := make(chan struct{})
	r.Service, r.Report, r.Abandon = c, rep, abandon
	ctx, cancel := context.WithCancel(context.Background())
	var out stoppedRun
	var stoppedAt time.Time
	go func() {
		time.Sleep(stopAfter)
		st := sb.Stats()
		out.atStop, out.doneAt, stoppedAt = st.Requests["PUT"], st.StatusCalls, time.Now()
		cancel()
		if abandonAfter > 0 {
			time.Sleep(abandonAfter)
			close(abandon)
		}
	}()
	out.err = r.Run(ctx, rowsOf(emails(users), zoom.Deactivate))
	out.took = time.Since(stoppedAt)
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	out.rows, out.sbStats = readReport(t, path)[1:], sb.Stats()
	return out
}

func TestRunStopGivesCallsInFlightGrace(t *testing.T) {
	tests := []struct {
		name         string
		latency      time.Duration // each answer takes half to one and a half times it
		grace        time.Duration
		abandonAfter time.Duration
		maxTook      time.Duration
		wantUpdated  bool // the calls in flight finish
	}{
		{"calls finish within grace", 2 * time.Second, 0, 0, 3 * time.Second, true},
		{"grace runs out", 20 * time.Second, time.Second, 0, time.Second, false},
		{"second interrupt abandons", 20 * time.Second, 0, 200 * time.Millisecond,
			200 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := zoomtest.Options{LightRate: 100, Latency: tt.latency}
				r := &Runner{Concurrency: 4, Grace: tt.grace}
				// Stop once the token is there and status calls are in flight.
				stop := 2*tt.latency + 500*time.Millisecond
				got := runAndStop(t, opts, r, 40, stop, tt.abandonAfter)
				if !errors.Is(got.err, context.Canceled) {
					t.Fatalf("Run() = %v; want context.Canceled", got.err)
				}
				if got.took > tt.maxTook {
					t.Errorf("Run() returned %v after the stop; want at most %v",
						got.took, tt.maxTook)
				}
				checkStoppedRows(t, got, tt.wantUpdated)
			})
		})
	}
}

// checkStoppedRows checks the report of a stopped run: the calls in flight
// at the stop are updated when they finished, or pending as abandoned with
// their attempt counted; every other row is pending as never sent.
func checkStoppedRows(t *testing.T, got stoppedRun, finished bool) {
	t.Helper()
	counts := map[string]int{}
	for _, row := range got.rows {
		kind := row[3]
		if row[3] == "pending" {
			kind += " " + strings.SplitN(row[6], " ", 2)[0] + " " + row[7]
		}
		counts[kind]++
	}
	updated, abandoned := counts["updated"], counts["pending abandoned 1"]
	ok := counts["pending not "] == len(got.rows)-got.atStop && updated+abandoned == got.atStop
	if finished {
		ok = ok && updated == got.atStop
	} else {
		// A call may still finish between the stop and the abandon.
		ok = ok && updated >= got.doneAt && abandoned > 0
	}
	if !ok || got.atStop == got.doneAt {
		t.Errorf("outcomes = %v with %d status calls sent and %d done at the stop; want those "+
			"in flight %s, the rest never sent", counts, got.atStop, got.doneAt,
			map[bool]string{true: "updated", false: "abandoned"}[finished])
	}
	if sent := got.sbStats.Requests["PUT"]; sent != got.atStop {
		t.Errorf("sandbox got %d status calls, %d after the stop; want none after",
			sent, sent-got.atStop)
	}
}

func TestRunSendsNoRowAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A pool far larger than the rate: most rows wait for their turn.
		opts := zoomtest.Options{LightRate: 10, Latency: 50 * time.Millisecond}
		got := runAndStop(t, opts, &Runner{Concurrency: 50}, 100, time.Second, 0)
		if !errors.Is(got.err, context.Canceled) {
			t.Fatalf("Run() = %v; want context.Canceled", got.err)
		}
		// One call may be on its way at the stop.
		sent := got.sbStats.Requests["PUT"]
		if sent > got.atStop+1 {
			t.Errorf("sandbox got %d status calls, %d of them after the stop; want at most "+
				"the one on its way", sent, sent-got.atStop)
		}
		counts := map[string]int{}
		for _, row := range got.rows {
			switch {
			case row[3] == "pending" && strings.HasPrefix(row[6], notSent) && row[7] == "":
				counts["never sent"]++
			case row[3] == "pending" && row[7] != "":
				// Let through by the rate limit just as the stop came: its
				// attempt counts, so a resume checks it.
				counts["cut short"]++
			default:
				counts[row[3]]++
			}
		}
		if counts["updated"] != sent || counts["cut short"] > 1 ||
			counts["never sent"]+counts["cut short"] != 100-sent {
			t.Errorf("outcomes = %v with %d status calls sent; want those updated, "+
				"the rest never sent but for one cut short", counts, sent)
		}
	})
}

// resumeRun resumes the run whose report is at path and returns the
// report's data records once the run is over.
func resumeRun(t *testing.T, ctx context.Context, c Service, path string,
	list []string) ([][]string, error) {
	t.Helper()
	j, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Verify(rowsOf(list, zoom.Deactivate)); err != nil {
		t.Fatalf("Verify() = %v; want the same file", err)
	}
	rep, err := ResumeReport(j)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Service: c, Concurrency: 4, Journal: j, Report: rep}
	runErr := r.Run(ctx, rowsOf(list, zoom.Deactivate))
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	return readReport(t, path)[1:], runErr
}

// keepRecords rewrites the report at path with only the records keep
// selects, as a crash that lost the others would leave it.
func keepRecords(t *testing.T, path string, keep func(rec []string) bool) {
	t.Helper()
	recs := readReport(t, path)
	out := recs[:1]
	for _, rec := range recs[1:] {
		if keep(rec) {
			out = append(out, rec)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := csv.NewWriter(f).WriteAll(out); err != nil {
		t.Fatal(err)
	}
}

func TestResumeChecksRowsACrashHid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(30)
		list := emails(users)
		c, sb := newSandboxClient(t, zoomtest.Options{Users: users, LightRate: 50}, 50)
		r := &Runner{Service: c, Concurrency: 4}
		path, err := runToFile(t, context.Background(), r, rowsOf(list[:20], zoom.Deactivate))
		if err != nil {
			t.Fatal(err)
		}
		// The crash lost the records of lines 12 to 21, whose users were
		// changed; lines 22 to 31 were never reached.
		keepRecords(t, path, func(rec []string) bool {
			line, err := strconv.Atoi(rec[0])
			return err != nil || line < 12
		})

		rows, err := resumeRun(t, context.Background(), c, path, list)
		if err != nil {
			t.Fatalf("resumed Run() = %v; want nil", err)
		}
		checkOnePerLine(t, rows, len(list))
		counts := outcomesOf(rows)
		if counts[Updated] != 20 || counts[Unchanged] != 10 {
			t.Errorf("outcomes after resume = %v; want 20 updated, 10 unchanged", counts)
		}
		checkNoRedundantCalls(t, sb.Stats(), list)
		if st := sb.Stats(); st.Gets != 20 {
			t.Errorf("resume got %d users; want 20, one for each row the report did not record",
				st.Gets)
		}
	})
}

func TestResumeStoppedAgainStillChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(20)
		list := emails(users)
		c, sb := newSandboxClient(t, zoomtest.Options{Users: users, LightRate: 50}, 50)
		r := &Runner{Service: c, Concurrency: 4}
		path, err := runToFile(t, context.Background(), r, rowsOf(list, zoom.Deactivate))
		if err != nil {
			t.Fatal(err)
		}
		// A crash lost every record; then a resume was interrupted before
		// it sent anything.
		keepRecords(t, path, func([]string) bool { return false })
		stopped, cancel := context.WithCancel(context.Background())
		cancel()
		rows, err := resumeRun(t, stopped, c, path, list)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted resume = %v; want context.Canceled", err)
		}
		for _, row := range rows {
			if row[3] != "pending" || !strings.HasPrefix(row[6], notChecked) {
				t.Errorf("line %s after the interrupted resume = %q; want pending, not checked",
					row[0], row[3:8])
			}
		}

		// The next resume still checks every user before changing them.
		rows, err = resumeRun(t, context.Background(), c, path, list)
		if err != nil {
			t.Fatal(err)
		}
		checkOnePerLine(t, rows, len(list))
		if counts := outcomesOf(rows); counts[Unchanged] != len(list) {
			t.Errorf("outcomes after the second resume = %v; want all unchanged", counts)
		}
		checkNoRedundantCalls(t, sb.Stats(), list)
	})
}

func TestResumeSendsDoneRowsNever(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(40)
		list := emails(users)
		c, sb := newSandboxClient(t, zoomtest.Options{Users: users, LightRate: 20}, 20)
		ctx, cancel := context.WithCancel(context.Background())
		r := &Runner{Service: c, Concurrency: 4, OnResult: func(res Result) {
			if res.Seq == 15 {
				cancel()
			}
		}}
		path, _ := runToFile(t, ctx, r, rowsOf(list, zoom.Deactivate))
		before := sb.Stats()

		rows, err := resumeRun(t, context.Background(), c, path, list)
		if err != nil {
			t.Fatal(err)
		}
		checkOnePerLine(t, rows, len(list))
		if counts := outcomesOf(rows); counts[Updated] != len(list) {
			t.Errorf("outcomes after resume = %v; want all updated", counts)
		}
		checkNoRedundantCalls(t, sb.Stats(), list)
		// Rows pending as never sent need no check.
		if gets := sb.Stats().Gets - before.Gets; gets != 0 {
			t.Errorf("resume got %d users; want none: the report records every row", gets)
		}
	})
}

func checkOnePerLine(t *testing.T, rows [][]string, n int) {
	t.Helper()
	if len(rows) != n {
		t.Errorf("report holds %d rows; want %d, one per input row", len(rows), n)
	}
	for i, row := range rows {
		if want := fmt.Sprint(i + 2); row[0] != want {
			t.Errorf("report row %d is line %s; want line %s: one per line, in input order",
				i+1, row[0], want)
			return
		}
	}
}

func outcomesOf(rows [][]string) map[Outcome]int {
	counts := map[Outcome]int{}
	for _, row := range rows {
		counts[Outcome(row[3])]++
	}
	return counts
}

// checkNoRedundantCalls checks that every user in list got one status call
// and that none was redundant.
func checkNoRedundantCalls(t *testing.T, st zoomtest.Stats, list []string) {
	t.Helper()
	for _, email := range list {
		if u := st.Users[email]; u.StatusCalls != 1 || u.RedundantStatusCalls != 0 ||
			u.Status != "inactive" {
			t.Errorf("sandbox user %s = %+v; want inactive after one status call", email, u)
		}
	}
}

// fullDisk accepts limit bytes and then fails every write, as a disk that
// fills up does. It notes when it first failed, and calls onFull then.
type fullDisk struct {
	mu       sync.Mutex
	limit    int
	failedAt time.Time
	onFull   func()
}

var errDiskFull = errors.New("no space left on device")

func (d *fullDisk) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(p) > d.limit {
		n := d.limit
		d.limit = 0
		if d.failedAt.IsZero() {
			d.failedAt = time.Now()
			d.onFull()
		}
		return n, errDiskFull
	}
	d.limit -= len(p)
	return len(p), nil
}

func TestRunStopsWhenReportFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(60)
		c, sb := newSandboxClient(t, zoomtest.Options{Users: users, LightRate: 20,
			Latency: 2 * time.Second}, 20)
		sentAtFull := 0
		disk := &fullDisk{limit: 600, onFull: func() { sentAtFull = sb.Stats().Requests["PUT"] }}
		rep, err := NewStreamReport(disk)
		if err != nil {
			t.Fatal(err)
		}
		r := &Runner{Service: c, Concurrency: 8, Report: rep}
		err = r.Run(context.Background(), rowsOf(emails(users), zoom.Deactivate))
		ended := time.Now()
		var se *StopError
		if !errors.As(err, &se) || !errors.Is(err, ErrReport) || !errors.Is(err, errDiskFull) {
			t.Fatalf("Run() = %v; want a report stop wrapping the disk's error", err)
		}
		// The calls in flight are given up at once: they could not be recorded.
		if took := ended.Sub(disk.failedAt); took > 0 {
			t.Errorf("Run() returned %v after the report failed; want at once", took)
		}
		// One call may be on its way at the failure.
		if sent := sb.Stats().Requests["PUT"]; sent > sentAtFull+1 {
			t.Errorf("sandbox got %d status calls, %d after the report failed; want none after",
				sent, sent-sentAtFull)
		}
	})
}

func TestResumeHeldRowKeepsItsMark(t *testing.T) {
	users := zoomtest.Generate(3)
	list := emails(users)
	path := writeJournal(t, nil) // a crash lost every record
	j, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ResumeReport(j)
	if err != nil {
		t.Fatal(err)
	}
	// The rows are held back before the run, as --limit does.
	held := func(yield func(Row, error) bool) {
		for row := range rowsOf(list, zoom.Deactivate) {
			row.Outcome, row.Message = Pending, notSent+"held back by a limit"
			if !yield(row, nil) {
				return
			}
		}
	}
	r := &Runner{Concurrency: 2, Journal: j, Report: rep}
	if err := r.Run(context.Background(), held); err != nil {
		t.Fatal(err)
	}
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	for _, row := range readReport(t, path)[1:] {
		if !strings.HasPrefix(row[6], notChecked+"held back by a limit") {
			t.Errorf("held line %s = %q; want it marked not checked, with its reason",
				row[0], row[6])
		}
	}
	again, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Uncertain(Row{Line: 2}) {
		t.Errorf("Uncertain(held line 2) = false; want true until a run checks the user")
	}
}

func TestRunRetryableFailureSaysResume(t *testing.T) {
	tests := []struct {
		name        string
		opts        zoomtest.Options
		maxAttempts int
		user        string // "" for a generated user
		wantResume  bool
	}{
		{"server errors", zoomtest.Options{FailRate: 1}, 3, "", true},
		{"dropped connections", zoomtest.Options{ResetRate: 1}, 3, "", true},
		{"one attempt", zoomtest.Options{FailRate: 1}, 1, "", true},
		{"no such user", zoomtest.Options{}, 3, "nobody@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				users := zoomtest.Generate(1)
				tt.opts.Users, tt.opts.LightRate = users, 10
				sb := zoomtest.New(tt.opts)
				hc := &http.Client{Transport: sb.Transport()}
				creds := zoom.Credentials(sb.Credentials())
				c, err := zoom.NewClient(zoom.Config{
					APIURL:      sb.APIURL(),
					Tokens:      zoom.NewAccountTokens(creds, sb.TokenURL(), hc),
					HTTPClient:  hc,
					Light:       ratelimit.New(ratelimit.Config{Rate: 10}),
					MaxAttempts: tt.maxAttempts,
				})
				if err != nil {
					t.Fatal(err)
				}
				user := cmp.Or(tt.user, users[0].Email)
				rows, err := runRows(t, &Runner{Service: c, Concurrency: 1},
					rowsOf([]string{user}, zoom.Deactivate))
				if err != nil {
					t.Fatal(err)
				}
				got := rows[0]
				if got[3] != "failed" || strings.Contains(got[6], "--resume") != tt.wantResume {
					t.Errorf("row after %s = %s %q; want failed, mentioning --resume: %v",
						tt.name, got[3], got[6], tt.wantResume)
				}
			})
		})
	}
}

func TestPreviewSendsNoGetAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(100)
		opts := zoomtest.Options{Users: users, LightRate: 10, Latency: 50 * time.Millisecond}
		c, sb := newSandboxClient(t, opts, 10)
		rep, err := CreateReport(filepath.Join(t.TempDir(), "preview.csv"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var atStop int
		go func() {
			time.Sleep(time.Second)
			atStop = sb.Stats().Gets
			cancel()
		}()
		r := &Runner{Service: c, Concurrency: 50, DryRun: true, Report: rep}
		if err := r.Run(ctx, rowsOf(emails(users), zoom.Deactivate)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run() = %v; want context.Canceled", err)
		}
		rep.Close()
		// One get may be on its way at the stop.
		if gets := sb.Stats().Gets; gets > atStop+1 {
			t.Errorf("preview sent %d gets, %d after the stop; want at most the one on its way",
				gets, gets-atStop)
		}
	})
}
