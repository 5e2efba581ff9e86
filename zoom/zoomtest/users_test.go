package zoomtest_test

import (
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard/offboard/zoom/zoomtest"
)

func TestReadUsers(t *testing.T) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	tests := []struct {
		name    string
		in      string
		want    []zoomtest.User // compared on the fields set here
		wantErr bool
	}{
		{name: "directory",
			in: "email,id,status,role,type,last_login,created,zoom_room,dept\n" +
				"a@example.com,id-a,inactive,Admin,1,2024-05-31,2020-01-02T03:04:05Z,yes,IT\n" +
				"B@example.com,,pending,,,,,,\n",
			want: []zoomtest.User{
				{ID: "id-a", Email: "a@example.com", Status: "inactive", Role: "Admin", Type: 1,
					LastLogin: time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC),
					Created:   time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), ZoomRoom: true,
					Dept: "IT"},
				{Email: "B@example.com", Status: "pending", Role: "Member", Type: 2},
			}},
		{name: "days ago", in: "email,status,last_login\na@example.com,active,30d\n",
			want: []zoomtest.User{{Email: "a@example.com", Status: "active", Role: "Member",
				Type: 2, LastLogin: today.Add(-30 * 24 * time.Hour)}}},
		{name: "leaver list",
			in: "email,action,name\nx@example.com,deactivate,Xavier Roe\n" +
				"x@example.com,deactivate,Xavier Roe\nnot-an-address,deactivate,\n" +
				"y@example.com,activate,\n",
			want: []zoomtest.User{
				{Email: "x@example.com", FirstName: "Xavier", LastName: "Roe", Status: "active",
					Role: "Member", Type: 2},
				{Email: "y@example.com", Status: "active", Role: "Member", Type: 2},
			}},
		{name: "header with BOM and capitals", in: "\ufeffEmail,Action\nz@example.com,x\n",
			want: []zoomtest.User{{Email: "z@example.com", Status: "active", Role: "Member",
				Type: 2}}},
		{name: "no email column", in: "address,action\na@example.com,x\n", wantErr: true},
		{name: "unknown status", in: "email,status\na@example.com,gone\n", wantErr: true},
		{name: "bad type", in: "email,status,type\na@example.com,active,basic\n", wantErr: true},
		{name: "bad date", in: "email,status,created\na@example.com,active,May\n", wantErr: true},
		{name: "bad flag", in: "email,status,zoom_room\na@example.com,active,maybe\n",
			wantErr: true},
		{name: "duplicate in directory",
			in: "email,status\na@example.com,active\nA@example.com,active\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := zoomtest.ReadUsers(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("ReadUsers(%q) = %v; want an error", tt.in, got)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ReadUsers(%q) = %d users, %v; want %d users", tt.in, len(got), err,
					len(tt.want))
			}
			for i, w := range tt.want {
				if !sameUser(got[i], w) {
					t.Errorf("ReadUsers(%q)[%d] = %+v; want %+v", tt.in, i, got[i], w)
				}
			}
		})
	}
}

// sameUser compares got with want on the fields want sets, and checks that
// got has an ID.
func sameUser(got, want zoomtest.User) bool {
	if want.ID == "" {
		want.ID = got.ID
	}
	if want.LastLogin.IsZero() {
		want.LastLogin = got.LastLogin
	}
	if want.Created.IsZero() {
		want.Created = got.Created
	}
	return got.ID != "" && got == want
}

func TestReadUsersErrorsAreTyped(t *testing.T) {
	_, err := zoomtest.ReadUsers(strings.NewReader("email,status\na@example.com,gone\n"))
	if !errors.Is(err, zoomtest.ErrUsersFile) {
		t.Errorf("ReadUsers(unknown status) = %v; want ErrUsersFile", err)
	}
}

func TestGenerate(t *testing.T) {
	users := zoomtest.Generate(2000)
	if users[0].Email != "user00001@example.com" || users[1999].Email != "user02000@example.com" {
		t.Errorf("Generate(2000) runs %s to %s; want user00001 to user02000",
			users[0].Email, users[1999].Email)
	}
	now := time.Now()
	var never, stale, basic int
	for _, u := range users {
		if u.Status != "active" || u.Role != "Member" || u.ID == "" {
			t.Fatalf("Generate: %+v; want active members with IDs", u)
		}
		switch {
		case u.LastLogin.IsZero():
			never++
		case now.Sub(u.LastLogin) > 90*24*time.Hour:
			stale++
		}
		if u.Type == zoomtest.TypeBasic {
			basic++
		}
	}
	for _, c := range []struct {
		what string
		n    int
	}{{"never signed in", never}, {"stale", stale}, {"basic", basic}} {
		if c.n < 100 || c.n > 600 {
			t.Errorf("Generate(2000): %d %s; want a realistic share", c.n, c.what)
		}
	}
	if again := zoomtest.Generate(2000); again[7] != users[7] {
		t.Errorf("Generate is not repeatable: %+v then %+v", users[7], again[7])
	}
}

func TestEmbedded(t *testing.T) {
	users := zoomtest.Embedded()
	count := func(f func(zoomtest.User) bool) int {
		n := 0
		for _, u := range users {
			if f(u) {
				n++
			}
		}
		return n
	}
	stale := func(u zoomtest.User) bool {
		return u.Status == "active" && u.Type == zoomtest.TypeLicensed &&
			!u.LastLogin.IsZero() && time.Since(u.LastLogin) > 90*24*time.Hour
	}
	tests := []struct {
		what     string
		got      int
		min, max int
	}{
		{"users", len(users), 50, 70},
		{"owners", count(func(u zoomtest.User) bool { return u.Role == "Owner" }), 1, 1},
		{"admins", count(func(u zoomtest.User) bool { return u.Role == "Admin" }), 2, 3},
		{"zoom rooms", count(func(u zoomtest.User) bool { return u.ZoomRoom }), 1, 2},
		{"event hosts", count(func(u zoomtest.User) bool { return u.UpcomingEvents }), 1, 2},
		{"pending", count(func(u zoomtest.User) bool { return u.Status == "pending" }), 2, 5},
		{"inactive", count(func(u zoomtest.User) bool { return u.Status == "inactive" }), 2, 6},
		{"licensed, not seen for 90 days", count(stale), 2, 20},
		{"never signed in", count(func(u zoomtest.User) bool { return u.LastLogin.IsZero() }),
			2, 20},
		{"addresses with +", count(func(u zoomtest.User) bool {
			return strings.Contains(u.Email, "+")
		}), 1, 2},
	}
	for _, tt := range tests {
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("Embedded(): %d %s; want %d to %d", tt.got, tt.what, tt.min, tt.max)
		}
	}
}

// TestDemoLeavers runs the README's demo file against the embedded
// directory and checks it shows every kind of outcome.
func TestDemoLeavers(t *testing.T) {
	f, err := os.Open("../../testdata/leavers.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	s := zoomtest.New(zoomtest.Options{})
	c := newClient(t, s)
	kinds := map[string]int{}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		email, action := row[0], row[1]
		switch {
		case seen[email]:
			kinds["duplicate"]++
			continue
		case action != "activate" && action != "deactivate":
			kinds["invalid"]++
			continue
		}
		seen[email] = true
		before, _ := s.User(email)
		// PathEscape leaves "+" alone, which the sandbox reads as a space.
		segment := strings.ReplaceAll(url.PathEscape(email), "+", "%2B")
		a := c.do(http.MethodPut, "/users/"+segment+"/status",
			`{"action":"`+action+`"}`)
		code, _ := a.zoomErr()
		switch {
		case is2xx(a.status) && before.Status == map[string]string{
			"activate": "active", "deactivate": "inactive"}[action]:
			kinds["unchanged"]++
		case is2xx(a.status):
			kinds["updated"]++
		default:
			kinds[http.StatusText(a.status)+" "+strconv.Itoa(code)]++
		}
	}
	for kind, want := range map[string]int{"updated": 6, "unchanged": 1, "duplicate": 1,
		"invalid": 1, "Not Found 1001": 1, "Bad Request 200": 1, "Bad Request 300": 1} {
		if kinds[kind] != want {
			t.Errorf("demo file: %d rows %s; want %d (all: %v)", kinds[kind], kind, want, kinds)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    zoomtest.Options
		wantErr bool
	}{
		{"zero", zoomtest.Options{}, false},
		{"business", zoomtest.Options{Plan: "business", FailRate: 1, ResetRate: 0.5}, false},
		{"unknown plan", zoomtest.Options{Plan: "enterprise-plus"}, true},
		{"negative rate", zoomtest.Options{LightRate: -1}, true},
		{"rate not a number", zoomtest.Options{BackgroundRate: math.NaN()}, true},
		{"fail rate above 1", zoomtest.Options{FailRate: 1.5}, true},
		{"negative reset rate", zoomtest.Options{ResetRate: -0.1}, true},
		{"negative latency", zoomtest.Options{Latency: -time.Second}, true},
		{"user without address", zoomtest.Options{Users: []zoomtest.User{
			{Status: "active", Type: 1}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, zoomtest.ErrOptions) &&
				!errors.Is(err, zoomtest.ErrUsersFile) {
				t.Errorf("Validate() = %v; want error %v", err, tt.wantErr)
			}
		})
	}
}
