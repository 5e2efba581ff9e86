package zoomtest

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"
)

// Options configure a Server. The zero value is a Pro account with the embedded
// directory, no latency and no faults.
type Options struct {
	// Plan is the account's plan, which sets the rate limits: "free" (Light 4/s,
	// Medium 2/s, with daily caps), "pro" (30/s and 20/s, the default) or
	// "business" (80/s and 60/s).
	Plan string

	// LightRate and MediumRate, when positive, override the plan's requests per
	// second for the whole account in that category.
	LightRate  float64
	MediumRate float64

	// DailyLimit caps Light requests per UTC day: 0 takes the plan's cap (6,000
	// on free, none on paid plans) and a negative value means no cap.
	// MediumDailyLimit does the same for Medium requests (2,000 on free).
	DailyLimit       int
	MediumDailyLimit int

	// BackgroundRate is another app on the account spending this many Light
	// requests per second from the same bucket and the same daily cap.
	BackgroundRate float64

	// Latency is the mean time the server takes to answer; each answer takes
	// between half and one and a half times it.
	Latency time.Duration

	// FailRate is the fraction of API calls answered 500 or 503 without effect.
	FailRate float64

	// ResetRate is the fraction of API calls whose connection drops without an
	// answer: half of them before the call takes effect, half after.
	ResetRate float64

	// TokenTTL is the lifetime of issued access tokens; 0 means one hour.
	TokenTTL time.Duration

	// TokenReplacesPrevious makes each new token invalidate the ones issued
	// before it, as some Zoom clients report. By default older tokens stay valid
	// until they expire.
	TokenReplacesPrevious bool

	// Scopes are the scopes granted to issued tokens; nil means
	// user:read:admin and user:write:admin.
	Scopes []string

	// Users is the directory; nil means Embedded().
	Users []User

	// BasicCap, when positive, is the most Basic (type 1) users the account may
	// have active or pending: activating one more is refused with code 3412.
	BasicCap int

	// BareThrottles sends 429s without any rate-limit header, as Zoom
	// sometimes does.
	BareThrottles bool

	// DailyWithoutType leaves X-RateLimit-Type off daily-limit 429s; only the
	// message then tells them from per-second ones.
	DailyWithoutType bool

	// Seed seeds latency jitter and fault injection; 0 picks one at random.
	Seed uint64

	// Wrap, if set, is middleware around the whole server, such as a contract
	// checker.
	Wrap func(http.Handler) http.Handler

	// Logger, if set, receives a debug record for every request. Secrets and
	// tokens are never logged.
	Logger *slog.Logger
}

// limits are the per-second rates and daily caps of one plan.
type limits struct {
	light, medium           float64
	lightDaily, mediumDaily int
}

// plans holds the rate limits of each plan Zoom publishes.
var plans = map[string]limits{
	"free":     {light: 4, medium: 2, lightDaily: 6000, mediumDaily: 2000},
	"pro":      {light: 30, medium: 20},
	"business": {light: 80, medium: 60},
}

// Plans lists the plan names Options.Plan accepts.
func Plans() []string { return []string{"free", "pro", "business"} }

// ErrOptions is wrapped by every error Options.Validate returns.
var ErrOptions = errors.New("invalid sandbox options")

// Validate reports whether the options describe a server New can build.
func (o Options) Validate() error {
	if _, ok := plans[o.plan()]; !ok {
		return optionsErrorf("unknown plan %q: want %s", o.Plan, strings.Join(Plans(), ", "))
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"light rate", o.LightRate}, {"medium rate", o.MediumRate},
		{"background rate", o.BackgroundRate}} {
		if !(r.v >= 0) || math.IsInf(r.v, 0) {
			return optionsErrorf("%s %v is not a number of requests per second", r.name, r.v)
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"fail rate", o.FailRate}, {"reset rate", o.ResetRate}} {
		if !(p.v >= 0 && p.v <= 1) {
			return optionsErrorf("%s %v is not between 0 and 1", p.name, p.v)
		}
	}
	if o.Latency < 0 || o.TokenTTL < 0 {
		return optionsErrorf("latency and token lifetime must not be negative")
	}
	if o.Users != nil {
		return checkDirectory(o.Users)
	}
	return nil
}

func optionsErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(format, a...))
}

func (o Options) plan() string {
	if o.Plan == "" {
		return "pro"
	}
	return strings.ToLower(o.Plan)
}

// limits returns the effective rates and daily caps; 0 means no daily cap.
func (o Options) limits() limits {
	l := plans[o.plan()]
	if o.LightRate > 0 {
		l.light = o.LightRate
	}
	if o.MediumRate > 0 {
		l.medium = o.MediumRate
	}
	l.lightDaily = dailyCap(o.DailyLimit, l.lightDaily)
	l.mediumDaily = dailyCap(o.MediumDailyLimit, l.mediumDaily)
	return l
}

func dailyCap(set, plan int) int {
	switch {
	case set > 0:
		return set
	case set < 0:
		return 0
	}
	return plan
}

func (o Options) tokenTTL() time.Duration {
	if o.TokenTTL == 0 {
		return time.Hour
	}
	return o.TokenTTL
}

func (o Options) scopes() []string {
	if o.Scopes == nil {
		return []string{"user:read:admin", "user:write:admin"}
	}
	return o.Scopes
}
