package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// errThrottled is the error of a call the simulated server refused for pace.
var errThrottled = errors.New("simulated server: rate limited")

// server simulates a service with a per-second bucket that the account
// shares with other apps: it holds one second's worth of calls and refills
// at the account's limit less what the other apps spend. It answers after
// latency, deciding on each call halfway through.
type server struct {
	bucket  *rate.Limiter
	latency time.Duration

	mu       sync.Mutex
	admitted int
	refused  int
}

// newServer returns a server for an account limited to limit calls per
// second, of which other apps spend background.
func newServer(limit, background float64, latency time.Duration) *server {
	return &server{
		bucket:  rate.NewLimiter(rate.Limit(limit-background), int(limit)),
		latency: latency,
	}
}

// call is one call to the server, with the Verdict a client would derive
// from its answer.
func (s *server) call(ctx context.Context) (Verdict, error) {
	if err := sleep(ctx, s.latency/2); s.latency > 0 && err != nil {
		return Verdict{}, err
	}
	ok := s.bucket.Allow()
	s.mu.Lock()
	if ok {
		s.admitted++
	} else {
		s.refused++
	}
	s.mu.Unlock()
	if err := sleep(ctx, s.latency/2); s.latency > 0 && err != nil {
		return Verdict{}, err
	}
	if !ok {
		return Verdict{Throttle: true}, errThrottled
	}
	return Verdict{}, nil
}

// counts returns how many calls the server admitted and refused.
func (s *server) counts() (admitted, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admitted, s.refused
}

// drive runs workers that call the server through g, each row with up to
// attempts attempts, until d of virtual time has passed.
func drive(g *Gate, s *server, workers, attempts int, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = g.Call(ctx, attempts, s.call)
			}
		})
	}
	wg.Wait()
}
