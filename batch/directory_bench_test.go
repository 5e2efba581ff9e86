package batch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
)

// benchClient returns a client of an in-process sandbox of users whose
// limits and gates let the benchmark run as fast as it can.
func benchClient(b *testing.B, users []zoomtest.User) (*zoom.Client, *zoomtest.Server) {
	b.Helper()
	sb := zoomtest.New(zoomtest.Options{Users: users, LightRate: 1e6, MediumRate: 1e6})
	hc := &http.Client{Transport: sb.Transport()}
	c, err := zoom.NewClient(zoom.Config{
		APIURL:     sb.APIURL(),
		Tokens:     zoom.NewAccountTokens(zoom.Credentials(sb.Credentials()), sb.TokenURL(), hc),
		HTTPClient: hc,
		Light:      ratelimit.New(ratelimit.Config{Rate: 1e6}),
		Medium:     ratelimit.New(ratelimit.Config{Rate: 1e6}),
	})
	if err != nil {
		b.Fatal(err)
	}
	return c, sb
}

// BenchmarkPreviewFromRoster previews a file of 10,000 rows against an
// account of 10,000 users, listing the account first, and reports the calls
// a row costs.
func BenchmarkPreviewFromRoster(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			users := zoomtest.Generate(n)
			c, sb := benchClient(b, users)
			list := emails(users)
			for i := 0; i < len(list); i += 50 {
				list[i] = "x" + list[i] // a typo every 50 rows: an unknown user
			}
			start := sb.Stats()
			for b.Loop() {
				previewOnce(b, c, list)
			}
			st := sb.Stats()
			calls := float64(st.Lists-start.Lists+st.Gets-start.Gets) / float64(b.N)
			b.ReportMetric(calls/float64(n), "calls/row")
			b.ReportMetric(float64(st.Requests["PUT"]-start.Requests["PUT"]), "PUTs")
		})
	}
}

func previewOnce(b *testing.B, c *zoom.Client, list []string) {
	roster, err := ListRosterIfCheaper(context.Background(), c, len(list))
	if err != nil || roster == nil {
		b.Fatalf("ListRosterIfCheaper() = %v, %v; want a roster", roster, err)
	}
	rep, err := NewStreamReport(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	r := &Runner{Service: c, Concurrency: 4, DryRun: true, Roster: roster, Report: rep}
	if err := r.Run(context.Background(), rowsOf(list, zoom.Deactivate)); err != nil {
		b.Fatal(err)
	}
	if got := r.Counts()[Planned]; got != len(list)-len(list)/50 {
		b.Fatalf("preview planned %d rows; want %d", got, len(list)-len(list)/50)
	}
}

// BenchmarkRosterMemory builds a roster of 100,000 users and reports the
// heap it holds per user.
func BenchmarkRosterMemory(b *testing.B) {
	const n = 100000
	users := make([]zoom.User, n)
	for i := range users {
		users[i] = zoom.User{ID: fmt.Sprintf("zJKyaiAyTNC-MW%08d", i),
			Email: fmt.Sprintf("first.last%06d@example.com", i), Status: "active",
			Type: zoom.TypeLicensed, RoleID: "2"}
	}
	var r *Roster
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		r = NewRoster()
		for _, u := range users {
			r.Add(u)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/user")
	runtime.KeepAlive(r)
}

// BenchmarkRosterSimilar searches a domain of 100,000 users for the
// addresses near an unknown one.
func BenchmarkRosterSimilar(b *testing.B) {
	r := NewRoster()
	for _, u := range zoomtest.Generate(100000) {
		r.Add(zoom.User{ID: u.ID, Email: u.Email, Status: u.Status})
	}
	for b.Loop() {
		r.compared.Store(0)
		if got := r.Similar("usr01234@example.com", 2); len(got) == 0 {
			b.Fatalf("Similar() = %q; want user01234@example.com", got)
		}
	}
}
