package zoomtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/offboard/offboard/zoom/zoomtest"
)

// unlimited lifts the rate limits so that benchmarks measure the sandbox.
var unlimited = zoomtest.Options{LightRate: 1e9, MediumRate: 1e9}

func BenchmarkGetUser(b *testing.B) {
	c := newClient(b, zoomtest.New(unlimited))
	for b.Loop() {
		if a := c.get("dan.morris@example.com"); a.status != http.StatusOK {
			b.Fatalf("get = %d", a.status)
		}
	}
}

// BenchmarkStatusCallsParallel changes the status of distinct users from
// every goroutine, as a run's workers do.
func BenchmarkStatusCallsParallel(b *testing.B) {
	opts := unlimited
	opts.Users = zoomtest.Generate(10000)
	s := zoomtest.New(opts)
	c := newClient(b, s)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % int64(len(opts.Users))
			path := fmt.Sprintf("%s/users/user%05d@example.com/status", s.APIURL(), i+1)
			req, _ := http.NewRequest(http.MethodPut, path,
				strings.NewReader(`{"action":"deactivate"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := c.http.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}

func BenchmarkListUsers(b *testing.B) {
	opts := unlimited
	opts.Users = zoomtest.Generate(10000)
	c := newClient(b, zoomtest.New(opts))
	for b.Loop() {
		if a := c.do(http.MethodGet, "/users?page_size=300&page_number=20", ""); a.status != 200 {
			b.Fatalf("list = %d", a.status)
		}
	}
}
