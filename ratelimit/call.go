package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrPauseTooLong is wrapped by the error Call returns when the server asked
// to be called again later than Config.MaxPause allows.
var ErrPauseTooLong = errors.New("requested pause exceeds max pause")

// A LongPauseError reports a throttle that asked for a wait longer than
// Config.MaxPause, such as a daily limit. It wraps ErrPauseTooLong and the
// error of the throttled attempt.
type LongPauseError struct {
	Until time.Time     // when the server asked to be called again
	Max   time.Duration // the longest pause the Gate would wait
	Err   error         // the throttled attempt's error
}

func (e *LongPauseError) Error() string {
	return fmt.Sprintf("server asked to wait until %s, longer than %s: %v",
		e.Until.UTC().Format(time.RFC3339), e.Max, e.Err)
}

// Unwrap returns ErrPauseTooLong and the attempt's error.
func (e *LongPauseError) Unwrap() []error { return []error{ErrPauseTooLong, e.Err} }

// A Verdict tells Call what the failure of an attempt means. The zero
// Verdict means the failure is final.
type Verdict struct {
	// Retry marks a transient failure, such as a 5xx or a network error:
	// the caller backs off with jitter and tries again.
	Retry bool
	// Throttle marks a refusal for pace, such as a 429: every caller
	// pauses, the pace slows, and the caller tries again. It wins over
	// Retry.
	Throttle bool
	// Until is when the server asked to be called again, as in Retry-After;
	// zero when it did not say.
	Until time.Time
}

// Call runs fn until it succeeds, fails for good (a Verdict with neither
// Retry nor Throttle), or maxAttempts attempts are used; each attempt first
// passes Wait, and fewer than one attempt means one. It returns the number
// of attempts made and fn's last error, or ctx.Err() if ctx ended first. A
// throttle that asks for a wait beyond Config.MaxPause ends Call at once
// with a *LongPauseError.
func (g *Gate) Call(ctx context.Context, maxAttempts int,
	fn func(context.Context) (Verdict, error)) (attempts int, err error) {
	b := backoff{base: g.cfg.BaseBackoff, max: g.cfg.MaxBackoff}
	for {
		sent, err := g.wait(ctx)
		if err != nil {
			return attempts, err
		}
		attempts++
		v, err := fn(ctx)
		g.finish(sent)
		if err == nil {
			g.succeed(sent)
			return attempts, nil
		}

		delay, again, err := g.judge(sent, v, err, &b)
		if !again || attempts >= maxAttempts {
			return attempts, err
		}
		if err := sleep(ctx, delay); err != nil {
			return attempts, err
		}
	}
}

// judge records the failure of an attempt sent at sent and decides what
// follows: whether to try again, after what delay, and with what error.
func (g *Gate) judge(sent time.Time, v Verdict, err error,
	b *backoff) (delay time.Duration, again bool, _ error) {
	switch {
	case v.Throttle && !v.Until.IsZero() && time.Until(v.Until) > g.cfg.MaxPause:
		g.mu.Lock()
		g.throttles++
		g.throttled = time.Now()
		g.mu.Unlock()
		return 0, false, &LongPauseError{Until: v.Until, Max: g.cfg.MaxPause, Err: err}
	case v.Throttle:
		end := g.throttle(sent, v.Until)
		// The shared pause stops everyone; the extra jitter keeps the
		// throttled callers from lining up behind it in a fixed order.
		return time.Until(end) + rand.N(g.cfg.ThrottlePause), true, err
	case v.Retry:
		g.mu.Lock()
		g.retries++
		g.mu.Unlock()
		return b.next(), true, err
	}
	// A final failure, such as an unknown user, is still an answer at the
	// pace: it counts toward the pace's recovery as a success does.
	g.succeed(sent)
	return 0, false, err
}

// backoff computes one caller's delays between retries of transient
// failures, with decorrelated jitter: each delay is drawn between base and
// three times the last one, capped at max.
type backoff struct {
	base, max, last time.Duration
}

// next returns the delay before the next retry.
func (b *backoff) next() time.Duration {
	hi := min(3*max(b.last, b.base), b.max)
	d := b.base
	if hi > b.base {
		d += rand.N(hi - b.base + 1)
	}
	b.last = d
	return d
}
