package batch

import (
	"context"
	"iter"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
)

// mixedRows yields one row per user and action, at lines 2, 3, ...
func mixedRows(rows [][2]string) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for i, r := range rows {
			if !yield(Row{Line: i + 2, User: r[0], Action: zoom.Action(r[1])}, nil) {
				return
			}
		}
	}
}

// embeddedUser returns the sandbox's demo user with that address.
func embeddedUser(t *testing.T, email string) zoomtest.User {
	t.Helper()
	for _, u := range zoomtest.Embedded() {
		if u.Email == email {
			return u
		}
	}
	t.Fatalf("no demo user %s", email)
	return zoomtest.User{}
}

func TestPreviewFromRoster(t *testing.T) {
	tests := []struct {
		user, action      string
		outcome, code, in string
	}{
		{"dan.morris@example.com", "deactivate", "planned", "",
			"would deactivate: active, Member, Licensed"},
		{"DAN.MORRIS@example.com", "activate", "unchanged", "", "already active"},
		{"hana.sato@example.com", "deactivate", "unchanged", "", "already inactive"},
		{"hana.sato@example.com", "activate", "planned", "",
			"would activate: inactive, Member, Basic"},
		{"amara.okafor@example.com", "deactivate", "failed", "200", "Owner users cannot"},
		{"ben.hughes@example.com", "deactivate", "failed", "200", "Admin users cannot"},
		{"auditor.kaur@example.com", "deactivate", "planned", "", "custom role"},
		{"new.starter@example.com", "deactivate", "failed", "", "pending"},
		{"dan.moris@example.com", "deactivate", "failed", "1001",
			"did you mean dan.morris@example.com?"},
		{"eva.lindqvist@example.org", "deactivate", "failed", "1001", "eva.lindqvist@example.com"},
		{"nobody.at.all@example.com", "deactivate", "failed", "1001", "no user of the account"},
		// Listings show pending users without an ID: an ID the listing lacks is got.
		{embeddedUser(t, "tomas.silva@example.com").ID, "deactivate", "failed", "", "pending"},
		{embeddedUser(t, "farah.haddad@example.com").ID, "deactivate", "planned", "",
			"would deactivate"},
	}
	synctest.Test(t, func(t *testing.T) {
		c, sb := specClient(t, zoomtest.Options{})
		var rows [][2]string
		for _, tt := range tests {
			rows = append(rows, [2]string{tt.user, tt.action})
		}
		roster, err := ListRosterIfCheaper(context.Background(), c, MinRosterRows)
		if err != nil || roster == nil {
			t.Fatalf("ListRosterIfCheaper() = %v, %v; want a roster", roster, err)
		}
		got, err := runRows(t, &Runner{Service: c, Concurrency: 4, DryRun: true, Roster: roster},
			mixedRows(rows))
		if err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			r := got[i]
			if r[3] != tt.outcome || r[5] != tt.code || !strings.Contains(r[6], tt.in) {
				t.Errorf("preview of %s %s = %s %s %q; want %s %s saying %q",
					tt.action, tt.user, r[3], r[5], r[6], tt.outcome, tt.code, tt.in)
			}
		}
		st := sb.Stats()
		if st.Requests["PUT"] != 0 || st.Gets != 1 || st.Lists != 3 {
			t.Errorf("preview sent %d PUTs, %d gets and %d lists; want no PUT, "+
				"one get (the ID the listing lacks) and 3 lists",
				st.Requests["PUT"], st.Gets, st.Lists)
		}
	})
}

// TestRunChecksRefusedChange tests that a change Zoom refuses is followed by
// one get, which makes the row unchanged when the user has the status
// anyway, and that the early stop is not fed by such rows.
func TestRunChecksRefusedChange(t *testing.T) {
	tests := []struct {
		user, action  string
		outcome, code string
		gets          int
	}{
		{"amara.okafor@example.com", "activate", "unchanged", "", 1},
		{"amara.okafor@example.com", "deactivate", "failed", "200", 1},
		{"boardroom@example.com", "activate", "unchanged", "", 1},
		{"priya.nair@example.com", "deactivate", "failed", "300", 1},
		{"nobody@example.com", "deactivate", "failed", "1001", 0},
		{"dan.morris@example.com", "deactivate", "updated", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.user, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, sb := specClient(t, zoomtest.Options{})
				got, err := runRows(t, &Runner{Service: c, Concurrency: 1},
					mixedRows([][2]string{{tt.user, tt.action}}))
				if err != nil {
					t.Fatal(err)
				}
				st := sb.Stats()
				if r := got[0]; r[3] != tt.outcome || r[5] != tt.code || st.Gets != tt.gets {
					t.Errorf("run of %s %s = %s %s %q after %d gets; want %s %s after %d",
						tt.action, tt.user, r[3], r[5], r[6], st.Gets, tt.outcome, tt.code, tt.gets)
				}
				if st.StatusCalls != 1 {
					t.Errorf("run sent %d status calls; want 1", st.StatusCalls)
				}
			})
		})
	}
}

func TestForecastAdd(t *testing.T) {
	results := []Result{
		{Action: zoom.Deactivate, Outcome: Planned},
		{Action: zoom.Deactivate, Outcome: Planned},
		{Action: zoom.Activate, Outcome: Planned},
		{Action: zoom.Deactivate, Outcome: Unchanged},
		{Action: zoom.Activate, Outcome: Unchanged},
		{Action: zoom.Deactivate, Outcome: Failed},
		{Outcome: Invalid},
		{Action: zoom.Deactivate, Outcome: Skipped},
		{Action: zoom.Deactivate, Outcome: Pending},
	}
	var f Forecast
	for _, r := range results {
		f.Add(r)
	}
	want := Forecast{Deactivate: 2, Activate: 1, AlreadyInactive: 1, AlreadyActive: 1, Fail: 1,
		Invalid: 1, Skipped: 1, Pending: 1}
	if f != want || f.Sends() != 6 {
		t.Errorf("Forecast = %+v, Sends() = %d; want %+v, 6", f, f.Sends(), want)
	}
}
