package zoomtest

import (
	"strconv"
	"time"
)

// The rate-limit categories the simulated endpoints belong to.
const (
	light  = "Light"
	medium = "Medium"
)

// bucket is the token bucket of one rate-limit category for the whole
// account, with the category's daily cap. It holds one second's worth of
// requests and is drained continuously by the account's background traffic.
// The server's mutex guards it.
type bucket struct {
	category   string
	rate       float64 // requests per second
	background float64 // requests per second spent by other apps
	daily      int     // requests per UTC day; 0 means no cap

	tokens    float64
	last      time.Time
	day       time.Time // the UTC midnight that started the current day
	dailyUsed float64
}

func newBucket(category string, rate float64, daily int, background float64) *bucket {
	return &bucket{category: category, rate: rate, daily: daily,
		background: min(background, rate), tokens: burst(rate)}
}

// burst is the bucket's capacity: one second's worth, and at least one.
func burst(rate float64) float64 { return max(rate, 1) }

// verdict is what a bucket decides about one request.
type verdict int

const (
	admitted verdict = iota
	overRate
	overDaily
)

// take decides on one request arriving at now and spends a token if it is
// admitted.
func (b *bucket) take(now time.Time) verdict {
	b.advance(now)
	if b.daily > 0 && b.dailyUsed >= float64(b.daily) {
		return overDaily
	}
	if b.tokens < 1 {
		return overRate
	}
	b.tokens--
	b.dailyUsed++
	return admitted
}

// advance refills the bucket for the time since the last request, less what
// the background traffic spent, and starts a new day at UTC midnight. A clock
// that went backwards, as when a server moves into a synctest bubble, starts
// afresh.
func (b *bucket) advance(now time.Time) {
	if b.last.IsZero() || now.Before(b.last) {
		b.last, b.day = now, midnight(now)
		return
	}
	dt := now.Sub(b.last).Seconds()
	b.last = now
	if d := midnight(now); !d.Equal(b.day) {
		b.day, b.dailyUsed = d, 0
	}
	b.tokens = min(burst(b.rate), max(0, b.tokens+(b.rate-b.background)*dt))
	b.dailyUsed += b.background * dt
}

// midnight returns the UTC midnight that starts t's day.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// refusal builds the 429 for a verdict, with the headers Zoom sends unless
// bare is set, and without X-RateLimit-Type on daily limits if noDailyType is.
func (b *bucket) refusal(v verdict, now time.Time, bare, noDailyType bool) reply {
	if v == overDaily {
		r := throttle(msgDaily)
		if !bare {
			r.header.Set("X-RateLimit-Category", b.category)
			if !noDailyType {
				r.header.Set("X-RateLimit-Type", "Daily-limit")
			}
			r.header.Set("X-RateLimit-Limit", strconv.Itoa(b.daily))
			r.header.Set("X-RateLimit-Remaining", "0")
			next := midnight(now).Add(24 * time.Hour)
			r.header.Set("Retry-After", next.Format(time.RFC3339))
		}
		return r
	}
	r := throttle(msgPerSecond)
	if !bare {
		r.header.Set("X-RateLimit-Category", b.category)
		r.header.Set("X-RateLimit-Type", "QPS")
		r.header.Set("X-RateLimit-Limit", strconv.FormatFloat(b.rate, 'f', -1, 64))
		r.header.Set("X-RateLimit-Remaining", "0")
	}
	return r
}
