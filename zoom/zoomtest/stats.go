package zoomtest

import (
	"maps"
	"net/http"
)

// Stats is what a server has counted since it was made. GET /_sandbox/stats
// answers it as JSON; the package documentation describes the fields.
type Stats struct {
	Requests            map[string]int       `json:"requests"`
	Throttled           int                  `json:"throttled"`
	ThrottledDaily      int                  `json:"throttled_daily"`
	ThrottledConcurrent int                  `json:"throttled_concurrent"`
	Unauthorized        int                  `json:"unauthorized"`
	TokensIssued        int                  `json:"tokens_issued"`
	Gets                int                  `json:"gets"`
	Lists               int                  `json:"lists"`
	StatusCalls         int                  `json:"status_calls"`
	Failures            int                  `json:"failures"`
	Resets              int                  `json:"resets"`
	Users               map[string]UserStats `json:"users"`
}

// UserStats is what a server has counted about one user.
type UserStats struct {
	Status               string `json:"status"`
	StatusCalls          int    `json:"status_calls"`
	RedundantStatusCalls int    `json:"redundant_status_calls"`
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	st.Users = make(map[string]UserStats, len(s.dir.users))
	for _, e := range s.dir.users {
		st.Users[e.Email] = UserStats{Status: e.Status, StatusCalls: e.statusCalls,
			RedundantStatusCalls: e.redundant}
	}
	return st
}

func (s *Server) statsReply(r *http.Request) reply {
	if r.Method != http.MethodGet {
		return errorReply(http.StatusMethodNotAllowed, 405, "Use GET.")
	}
	return reply{status: http.StatusOK, body: s.Stats()}
}

// ResetDaily starts a new day for the daily caps at once, as 00:00 UTC does:
// the requests counted against them so far are forgotten. POST
// /_sandbox/reset-daily does the same, so that a test can resume a run that
// reached the daily limit without waiting for midnight. The stats are kept.
func (s *Server) ResetDaily() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.light.dailyUsed, s.medium.dailyUsed = 0, 0
}

func (s *Server) resetDailyReply(r *http.Request) reply {
	if r.Method != http.MethodPost {
		return errorReply(http.StatusMethodNotAllowed, 405, "Use POST.")
	}
	s.ResetDaily()
	return reply{status: http.StatusNoContent}
}
