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
