package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadProtected(t *testing.T) {
	tests := []struct {
		name    string
		content string
		has     []string
		hasNot  []string
		err     error
	}{
		{"plain list", "Boss@Example.com\nzJKyaiAyTNC-MWjiWC18KQ\n",
			[]string{"boss@example.com", "BOSS@EXAMPLE.COM", "zJKyaiAyTNC-MWjiWC18KQ"},
			[]string{"zjkyaiaytnc-mwjiwc18kq", "other@example.com"}, nil},
		{"csv with an email column", "Name,Work Email,Reason\nThe Boss,boss@example.com,board\n" +
			"Legal,legal.hold@example.com,litigation\n",
			[]string{"boss@example.com", "legal.hold@example.com"}, []string{"The Boss"}, nil},
		{"an action column is ignored", "email,action\nboss@example.com,activate\n",
			[]string{"boss@example.com"}, nil, nil},
		{"a row that names no user", "email\nboss@example.com\nthe boss\n", nil, nil,
			ErrProtectFile},
		{"no users", "email\n", nil, nil, ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ReadProtected(writeTemp(t, "protect.csv", tt.content))
			if !errors.Is(err, tt.err) {
				t.Fatalf("ReadProtected() = %v; want %v", err, tt.err)
			}
			for _, u := range tt.has {
				if !p.Has(u) {
					t.Errorf("Has(%q) = false; want true", u)
				}
			}
			for _, u := range tt.hasNot {
				if p.Has(u) {
					t.Errorf("Has(%q) = true; want false", u)
				}
			}
		})
	}
}

// judgedRows yields rows as the reader judges them.
func judgedRows(rows ...Row) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for i, r := range rows {
			r.Line = i + 2
			if r.Action == "" && r.Outcome == "" {
				r.Action = zoom.Deactivate
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func outcomes(t *testing.T, rows iter.Seq2[Row, error]) []string {
	t.Helper()
	var out []string
	for r, err := range rows {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s", r.User, r.Outcome))
	}
	return out
}

func TestProtectedGuard(t *testing.T) {
	p, err := ReadProtected(writeTemp(t, "protect.txt",
		"boss@example.com\nG1aOXtXdOlpYSU8J9do_Hg\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := judgedRows(
		Row{User: "dan@example.com"},
		Row{User: "BOSS@example.com"},
		Row{User: "G1aOXtXdOlpYSU8J9do_Hg"},
		Row{User: "boss@example.com", Outcome: Invalid, Message: "conflicting actions"},
		Row{User: "eva@example.com", Outcome: Skipped, Message: "duplicate"},
	)
	want := []string{"dan@example.com ", "BOSS@example.com skipped",
		"G1aOXtXdOlpYSU8J9do_Hg skipped", "boss@example.com invalid", "eva@example.com skipped"}
	if got := outcomes(t, p.Guard(in)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Guard() = %q; want %q", got, want)
	}
}

func TestProtectedResolve(t *testing.T) {
	owner := embeddedUser(t, "amara.okafor@example.com")
	admin := embeddedUser(t, "ben.hughes@example.com")
	tests := []struct {
		name          string
		emails, ids   bool
		has           []string
		gets, entries int
	}{
		{"input by email", true, false, []string{owner.Email, admin.Email}, 2, 4},
		{"input by ID", false, true, []string{owner.ID, admin.ID}, 1, 4},
		{"input by both", true, true, []string{owner.Email, owner.ID, admin.ID}, 3, 5},
		{"input like the file", false, false, nil, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, sb := specClient(t, zoomtest.Options{})
				// The owner and the admin by ID, the admin by address too, and
				// an ID that is no one's.
				p, err := ReadProtected(writeTemp(t, "protect.txt",
					owner.ID+"\nBen.Hughes@example.com\nNoSuchUser0123456789ab\n"))
				if err != nil {
					t.Fatal(err)
				}
				n, err := p.Resolve(context.Background(), c, tt.emails, tt.ids)
				if err != nil {
					t.Fatal(err)
				}
				if n != tt.gets || sb.Stats().Gets != tt.gets || p.Len() != tt.entries {
					t.Errorf("Resolve() made %d gets (%d seen) for %d entries; want %d for %d",
						n, sb.Stats().Gets, p.Len(), tt.gets, tt.entries)
				}
				for _, u := range tt.has {
					if !p.Has(u) {
						t.Errorf("after Resolve, Has(%q) = false; want true", u)
					}
				}
			})
		})
	}
}

func TestLimit(t *testing.T) {
	rows := judgedRows(
		Row{User: "a@example.com"},
		Row{User: "bad", Outcome: Invalid},
		Row{User: "b@example.com"},
		Row{User: "done@example.com"},
		Row{User: "c@example.com"},
		Row{User: "d@example.com"},
	)
	done := func(r Row) bool { return r.User == "done@example.com" }
	tests := []struct {
		n    int
		done func(Row) bool
		want []string
	}{
		{1, nil, []string{"a@example.com ", "bad invalid", "b@example.com pending",
			"done@example.com pending", "c@example.com pending", "d@example.com pending"}},
		{3, nil, []string{"a@example.com ", "bad invalid", "b@example.com ",
			"done@example.com ", "c@example.com pending", "d@example.com pending"}},
		// Rows the resumed run finished do not count.
		{3, done, []string{"a@example.com ", "bad invalid", "b@example.com ",
			"done@example.com ", "c@example.com ", "d@example.com pending"}},
		{10, nil, []string{"a@example.com ", "bad invalid", "b@example.com ",
			"done@example.com ", "c@example.com ", "d@example.com "}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d done=%v", tt.n, tt.done != nil), func(t *testing.T) {
			got := outcomes(t, Limit(rows, tt.n, "held back", tt.done))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Limit(%d) = %q; want %q", tt.n, got, tt.want)
			}
		})
	}
}

func TestCountPlan(t *testing.T) {
	rows := judgedRows(
		Row{User: "a@example.com"},
		Row{User: "b@example.com", Action: zoom.Activate},
		Row{User: "zJKyaiAyTNC-MWjiWC18KQ"},
		Row{User: "bad", Outcome: Invalid},
		Row{User: "c@example.com", Outcome: Skipped},
		Row{User: "done@example.com"},
	)
	done := func(r Row) bool { return r.User == "done@example.com" }
	got, err := CountPlan(rows, done)
	want := Plan{Rows: 6, Activate: 1, Deactivate: 2, ByEmail: 2, ByID: 1, Done: 1, Held: 2}
	if err != nil || got != want || got.Changes() != 3 {
		t.Errorf("CountPlan() = %+v, %v (changes %d); want %+v (changes 3)", got, err,
			got.Changes(), want)
	}
	failing := func(yield func(Row, error) bool) { yield(Row{}, ErrChanged) }
	if _, err := CountPlan(failing, nil); !errors.Is(err, ErrChanged) {
		t.Errorf("CountPlan(failing rows) = %v; want ErrChanged", err)
	}
}
