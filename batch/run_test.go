package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

// newSandboxClient returns a client of an in-process sandbox, paced at rate.
func newSandboxClient(
	t *testing.T,
	opts zoomtest.Options,
	rate float64,
) (*zoom.Client, *zoomtest.Server) {
	t.Helper()
	opts.Wrap = spectest.Load(t).Wrap(t)
	sb := zoomtest.New(opts)
	hc := &http.Client{Transport: sb.Transport()}
	c, err := zoom.NewClient(zoom.Config{
		APIURL:      sb.APIURL(),
		Tokens:      zoom.NewAccountTokens(zoom.Credentials(sb.Credentials()), sb.TokenURL(), hc),
		HTTPClient:  hc,
		Light:       ratelimit.New(ratelimit.Config{Rate: rate, Adaptive: true}),
		MaxAttempts: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, sb
}

// rowsOf yields rows to send, one per user, at lines 2, 3, ...
func rowsOf(users []string, a zoom.Action) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for i, u := range users {
			if !yield(Row{Line: i + 2, User: u, Action: a}, nil) {
				return
			}
		}
	}
}

func emails(users []zoomtest.User) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.Email)
	}
	return out
}

// runRows runs rows against svc and returns the report's data rows.
func runRows(t *testing.T, r *Runner, rows iter.Seq2[Row, error]) ([][]string, error) {
	t.Helper()
	path, err := runToFile(t, context.Background(), r, rows)
	return readReport(t, path)[1:], err
}

// runToFile runs rows with a new report file, which it closes, and returns
// its path and the run's error.
func runToFile(t *testing.T, ctx context.Context, r *Runner,
	rows iter.Seq2[Row, error]) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.csv")
	rep, err := CreateReport(path)
	if err != nil {
		t.Fatal(err)
	}
	r.Report = rep
	runErr := r.Run(ctx, rows)
	if err := rep.Close(); err != nil {
		t.Fatal(err)
	}
	return path, runErr
}

func TestRunFailedRowDoesNotStopOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(30)
		c, sb := newSandboxClient(
			t,
			zoomtest.Options{Users: users, LightRate: 30, Latency: 40 * time.Millisecond},
			30,
		)
		list := emails(users)
		list[4] = "nobody@example.com"
		list[17] = "ghost@example.com"
		rows, err := runRows(t, &Runner{Service: c, Concurrency: 8}, rowsOf(list, zoom.Deactivate))
		if err != nil {
			t.Fatalf("Run() = %v; want nil", err)
		}
		if len(rows) != len(list) {
			t.Fatalf("report has %d rows; want %d", len(rows), len(list))
		}
		for i, r := range rows {
			want := "updated"
			if i == 4 || i == 17 {
				want = "failed"
			}
			if r[0] != fmt.Sprint(i+2) || r[3] != want {
				t.Errorf("row %d = %q; want line %d %s", i, r, i+2, want)
			}
		}
		if got := rows[4][5]; got != "1001" {
			t.Errorf("unknown user's zoom_code = %q; want 1001", got)
		}
		if st := sb.Stats(); st.Throttled != 0 {
			t.Errorf("sandbox throttled %d calls; want none at the account's rate", st.Throttled)
		}
	})
}

func TestRunDailyLimitLeavesRowsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(10)
		c, _ := newSandboxClient(
			t,
			zoomtest.Options{Users: users, LightRate: 30, DailyLimit: 4},
			30,
		)
		rows, err := runRows(
			t,
			&Runner{Service: c, Concurrency: 1},
			rowsOf(emails(users), zoom.Deactivate),
		)
		var se *StopError
		if !errors.As(err, &se) || !errors.Is(err, ErrDailyLimit) || se.ResetAt.IsZero() {
			t.Fatalf("Run() = %v; want a daily-limit stop with its reset time", err)
		}
		counts := map[string]int{}
		for _, r := range rows {
			counts[r[3]]++
		}
		if len(rows) != 10 || counts["updated"] != 4 || counts["pending"] != 6 {
			t.Errorf("outcomes = %v over %d rows; want 4 updated, 6 pending", counts, len(rows))
		}
	})
}

func TestRunBrokenRunStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(40)
		// A token without the write scope: every status change fails alike.
		c, _ := newSandboxClient(
			t,
			zoomtest.Options{Users: users, Scopes: []string{"user:read:admin"}},
			50,
		)
		rows, err := runRows(
			t,
			&Runner{Service: c, Concurrency: 1},
			rowsOf(emails(users), zoom.Deactivate),
		)
		if !errors.Is(err, ErrBroken) {
			t.Fatalf("Run() = %v; want ErrBroken", err)
		}
		counts := map[string]int{}
		for _, r := range rows {
			counts[r[3]]++
		}
		if counts["failed"] != brokenAfter || counts["pending"] != 40-brokenAfter {
			t.Errorf("outcomes = %v; want %d failed and the rest pending", counts, brokenAfter)
		}
	})
}

func TestRunInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users := zoomtest.Generate(50)
		c, _ := newSandboxClient(t, zoomtest.Options{Users: users, LightRate: 10}, 10)
		ctx, cancel := context.WithCancel(context.Background())
		r := &Runner{Service: c, Concurrency: 4, OnResult: func(res Result) {
			if res.Seq == 10 {
				cancel()
			}
		}}
		path, err := runToFile(t, ctx, r, rowsOf(emails(users), zoom.Deactivate))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run() = %v; want context.Canceled", err)
		}
		rows := readReport(t, path)[1:]
		counts := map[string]int{}
		for _, row := range rows {
			counts[row[3]]++
		}
		if len(rows) != 50 || counts["pending"] == 0 || counts["updated"]+counts["pending"] != 50 {
			t.Errorf(
				"outcomes = %v over %d rows; want every row updated or pending",
				counts,
				len(rows),
			)
		}
	})
}

func TestPreviewPredictsRealRun(t *testing.T) {
	for _, listing := range []bool{false, true} {
		name := "get a row"
		if listing {
			name = "listing"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { previewPredictsRealRun(t, listing) })
		})
	}
}

// previewPredictsRealRun previews rows for the demo directory, by a get a
// row or from a listing, and checks every prediction against a real run.
func previewPredictsRealRun(t *testing.T, listing bool) {
	users := zoomtest.Embedded()
	var rows [][2]string
	for i, u := range users {
		// A get does not show Zoom Rooms or upcoming events: the preview
		// cannot foresee their refusals.
		if u.ZoomRoom || u.UpcomingEvents {
			continue
		}
		user, action := u.Email, "deactivate"
		if i%3 == 0 {
			user = u.ID
		}
		if u.Status == "inactive" || u.Role == "Owner" {
			action = "activate"
		}
		rows = append(rows, [2]string{user, action})
	}
	rows = append(rows, [2]string{"nobody@example.com", "deactivate"},
		[2]string{"dan.moris@example.com", "deactivate"})
	c, sb := specClient(t, zoomtest.Options{Users: users})
	r := &Runner{Service: c, Concurrency: 4, DryRun: true}
	if listing {
		roster, err := ListRosterIfCheaper(context.Background(), c, len(rows))
		if err != nil || roster == nil {
			t.Fatalf("ListRosterIfCheaper() = %v, %v; want a roster", roster, err)
		}
		r.Roster = roster
	}
	preview, err := runRows(t, r, mixedRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	if n := sb.Stats().StatusCalls; n != 0 {
		t.Fatalf("preview sent %d status changes; want none", n)
	}
	real, err := runRows(t, &Runner{Service: c, Concurrency: 4}, mixedRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	// Zoom's answer to a change to the status a user already has is
	// undocumented: a success or a refusal that the check after it turns
	// into unchanged.
	wantReal := map[string][]string{"planned": {"updated"}, "unchanged": {"updated", "unchanged"},
		"failed": {"failed"}}
	for i := range preview {
		p, r := preview[i], real[i]
		if !slices.Contains(wantReal[p[3]], r[3]) || p[5] != "" && p[5] != r[5] {
			t.Errorf(
				"line %s: preview %s %s (%s), real run %s %s (%s)",
				p[0],
				p[3],
				p[5],
				p[6],
				r[3],
				r[5],
				r[6],
			)
		}
	}
}

// TestRunOutlivesTokens runs past several token lifetimes, with Zoom keeping
// earlier tokens valid and with Zoom dropping them when a new one is issued:
// either way no row fails for its token.
func TestRunOutlivesTokens(t *testing.T) {
	for _, replaces := range []bool{false, true} {
		t.Run(fmt.Sprintf("replaces previous %v", replaces), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				users := zoomtest.Generate(300)
				opts := zoomtest.Options{Users: users, LightRate: 20, Latency: 50 * time.Millisecond,
					TokenTTL: 5 * time.Second, TokenReplacesPrevious: replaces}
				c, sb := newSandboxClient(t, opts, 20)
				rows, err := runRows(t, &Runner{Service: c, Concurrency: 8},
					rowsOf(emails(users), zoom.Deactivate))
				if err != nil {
					t.Fatalf("Run() = %v; want nil", err)
				}
				for _, r := range rows {
					if r[3] != "updated" {
						t.Fatalf("row %q; want every row updated across token renewals", r)
					}
				}
				// 300 rows at 20/s take 15 s: three or four 5-second tokens,
				// renewed early, and none fetched twice at once.
				if n := sb.Stats().TokensIssued; n < 3 || n > 6 {
					t.Errorf("tokens issued = %d; want 3 to 6", n)
				}
			})
		})
	}
}
