package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/offboard/offboard/ratelimit"
)

// errDaily stands for the error a client returns for a daily-limit 429.
var errDaily = errors.New("daily rate limit reached")

func Example() {
	g := ratelimit.New(ratelimit.Config{Rate: 30, Adaptive: true})
	tomorrow := time.Now().Add(20 * time.Hour)

	attempts, err := g.Call(context.Background(), 5,
		func(ctx context.Context) (ratelimit.Verdict, error) {
			// A real fn sends one request and maps its answer to a Verdict.
			return ratelimit.Verdict{Throttle: true, Until: tomorrow}, errDaily
		})

	var lp *ratelimit.LongPauseError
	fmt.Println(attempts, errors.As(err, &lp), errors.Is(err, errDaily))
	// Output: 1 true true
}
