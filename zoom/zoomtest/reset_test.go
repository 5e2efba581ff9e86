package zoomtest_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/offboard/offboard/zoom/zoomtest"
)

func TestResetDaily(t *testing.T) {
	tests := []struct {
		name  string
		reset func(t *testing.T, c *client)
	}{
		{"method", func(_ *testing.T, c *client) { c.s.ResetDaily() }},
		{"endpoint", func(t *testing.T, c *client) {
			req, err := http.NewRequest(http.MethodPost, c.s.URL()+"/_sandbox/reset-daily", nil)
			if err != nil {
				t.Fatal(err)
			}
			if a := c.send(req); a.status != http.StatusNoContent {
				t.Fatalf("POST /_sandbox/reset-daily = %d %s; want 204", a.status, a.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				time.Sleep(6 * time.Hour) // the bubble starts at midnight UTC
				s := zoomtest.New(zoomtest.Options{DailyLimit: 2, LightRate: 10})
				c := newClient(t, s)
				for i, want := range []int{200, 200, 429} {
					if a := c.get("dan.morris@example.com"); a.status != want {
						t.Fatalf("get %d before the reset = %d %s; want %d",
							i+1, a.status, a.body, want)
					}
					time.Sleep(time.Second)
				}
				tt.reset(t, c)
				for i, want := range []int{200, 200, 429} {
					if a := c.get("dan.morris@example.com"); a.status != want {
						t.Errorf("get %d after the reset = %d %s; want %d",
							i+1, a.status, a.body, want)
					}
					time.Sleep(time.Second)
				}
				if st := s.Stats(); st.ThrottledDaily != 2 || st.Gets != 4 {
					t.Errorf("stats after the reset = %d daily throttles, %d gets; want 2 and 4",
						st.ThrottledDaily, st.Gets)
				}
			})
		})
	}
}

func TestResetDailyRefusesGet(t *testing.T) {
	s := zoomtest.New(zoomtest.Options{})
	c := &client{t: t, s: s, http: &http.Client{Transport: s.Transport()}}
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/_sandbox/reset-daily", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := c.send(req); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /_sandbox/reset-daily = %d; want 405", a.status)
	}
}
