package zoomtest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// userJSON is a user as the API shows it. Get-a-user and list-users show
// different subsets of the fields.
type userJSON struct {
	ID                string `json:"id,omitempty"`
	FirstName         string `json:"first_name,omitempty"`
	LastName          string `json:"last_name,omitempty"`
	DisplayName       string `json:"display_name,omitempty"`
	Email             string `json:"email"`
	Type              int    `json:"type"`
	RoleName          string `json:"role_name,omitempty"`
	RoleID            string `json:"role_id,omitempty"`
	PMI               int64  `json:"pmi,omitempty"`
	UsePMI            *bool  `json:"use_pmi,omitempty"`
	Timezone          string `json:"timezone,omitempty"`
	Dept              string `json:"dept,omitempty"`
	CreatedAt         string `json:"created_at,omitempty"`
	UserCreatedAt     string `json:"user_created_at,omitempty"`
	LastLoginTime     string `json:"last_login_time,omitempty"`
	LastClientVersion string `json:"last_client_version,omitempty"`
	Language          string `json:"language,omitempty"`
	Status            string `json:"status"`
	Verified          *int   `json:"verified,omitempty"`
	AccountID         string `json:"account_id,omitempty"`
}

// listed shows u as list-users does: pending users have no ID.
func listed(u User) userJSON {
	v := userJSON{
		ID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: strings.TrimSpace(u.FirstName + " " + u.LastName), Email: u.Email,
		Type: u.Type, RoleID: roleID(u.Role), PMI: pmi(u.ID), Timezone: "Europe/London",
		Dept: u.Dept, CreatedAt: stamp(u.Created), UserCreatedAt: stamp(u.Created),
		LastLoginTime: stamp(u.LastLogin), Language: "en-US", Status: u.Status,
		Verified: new(1),
	}
	if !u.LastLogin.IsZero() {
		v.LastClientVersion = "6.2.11.4275(mac)"
	}
	if u.Status == StatusPending {
		v.ID, v.PMI, v.Verified, v.LastClientVersion = "", 0, new(0), ""
	}
	return v
}

// detailed shows u as get-a-user does. Pending users come back sparse, with a
// created_at that is the time of the call, as the spec warns.
func detailed(u User, account string, now time.Time) userJSON {
	if u.Status == StatusPending {
		return userJSON{ID: u.ID, Email: u.Email, FirstName: u.FirstName,
			LastName: u.LastName, Type: u.Type, RoleName: u.Role, Status: u.Status,
			CreatedAt: stamp(now), Verified: new(0)}
	}
	v := listed(u)
	v.RoleName, v.UsePMI, v.AccountID = u.Role, new(false), account
	return v
}

// stamp formats t as Zoom does, in UTC to the second; the zero time is empty.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// roleID returns the role_id Zoom gives the built-in roles; custom roles get
// a stable made-up one.
func roleID(role string) string {
	switch strings.ToLower(role) {
	case "owner":
		return "0"
	case "admin":
		return "1"
	case "member":
		return "2"
	}
	return "r" + userID(role)[:10]
}

// pmi derives a stable ten-digit personal meeting ID from a user ID.
func pmi(id string) int64 {
	sum := sha256.Sum256([]byte(id))
	return 1_000_000_000 + int64(binary.BigEndian.Uint64(sum[:8])%9_000_000_000)
}

// getUser answers GET /v2/users/{userId}.
func (s *Server) getUser(r *http.Request, user string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Gets++
	e := s.dir.find(user)
	if e == nil {
		return noUser(user)
	}
	return reply{status: http.StatusOK, body: detailed(e.User, s.creds.AccountID, time.Now())}
}

// setStatus answers PUT /v2/users/{userId}/status.
func (s *Server) setStatus(r *http.Request, user string) reply {
	action, refusal := readAction(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.StatusCalls++
	if refusal.status != 0 {
		return refusal
	}
	e := s.dir.find(user)
	if e == nil {
		return noUser(user)
	}
	e.statusCalls++
	target := StatusActive
	if action == "deactivate" {
		target = StatusInactive
	}
	if e.Status == target {
		e.redundant++
	}
	if rep, refused := s.refuse(e, action); refused {
		return rep
	}
	if e.Status != target && target == StatusInactive && e.Type == TypeLicensed {
		e.Type = TypeBasic // deactivation takes the licence away for good
	}
	e.Status = target
	s.replies++
	if s.replies%2 == 0 {
		return reply{status: http.StatusNoContent}
	}
	return reply{status: http.StatusOK}
}

// readAction reads the status call's body: a JSON object whose action is
// activate or deactivate.
func readAction(r *http.Request) (string, reply) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return "", invalidBody()
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return "", invalidBody()
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(data, &body); err != nil || body == nil {
		return "", invalidBody()
	}
	var action string
	if err := json.Unmarshal(body["action"], &action); err != nil ||
		action != "activate" && action != "deactivate" {
		return "", validationFailed("action")
	}
	return action, reply{}
}

// refuse returns Zoom's refusal of the action on e, if it refuses. The caller
// holds s.mu.
func (s *Server) refuse(e *entry, action string) (reply, bool) {
	role := strings.ToLower(e.Role)
	switch {
	case role == "owner" || role == "admin" || e.ZoomRoom:
		return errorReply(http.StatusBadRequest, 200,
			"Zoom Room and Admin users' status cannot be activated or deactivated."), true
	case e.Status == StatusPending:
		return errorReply(http.StatusBadRequest, 1120,
			"A valid invitation to join the Zoom account was not found for this user."), true
	case action == "deactivate" && e.UpcomingEvents:
		return errorReply(http.StatusBadRequest, 300, "You cannot deactivate this user "+
			"because the user has an upcoming Zoom Events scheduled."), true
	case action == "activate" && e.Status != StatusActive && e.Type == TypeBasic &&
		s.opts.BasicCap > 0 && s.dir.seats(TypeBasic) >= s.opts.BasicCap:
		return errorReply(http.StatusBadRequest, 3412, "Your request to activate the user "+
			"was not approved at this time because your account has reached the permitted "+
			"maximum number of %d \"Basic\" users.", s.opts.BasicCap), true
	}
	return reply{}, false
}

// pageTokenTTL is how long a next_page_token stays valid.
const pageTokenTTL = 15 * time.Minute

// page is where a next_page_token resumes a listing.
type page struct {
	status string
	offset int
	issued time.Time
}

// listPage is list-users' success body.
type listPage struct {
	NextPageToken string     `json:"next_page_token"`
	PageCount     int        `json:"page_count"`
	PageNumber    int        `json:"page_number"`
	PageSize      int        `json:"page_size"`
	TotalRecords  int        `json:"total_records"`
	Users         []userJSON `json:"users"`
}

// listUsers answers GET /v2/users.
func (s *Server) listUsers(r *http.Request, _ string) reply {
	q := r.URL.Query()
	size, ok := pageSize(q.Get("page_size"))
	if !ok {
		return validationFailed("page_size")
	}
	now := time.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Lists++
	at, refusal := s.resume(q, size, now)
	if refusal.status != 0 {
		return refusal
	}
	matched := s.dir.withStatus(at.status)
	p := listPage{PageCount: (len(matched) + size - 1) / size, PageNumber: at.offset/size + 1,
		PageSize: size, TotalRecords: len(matched), Users: []userJSON{}}
	for _, e := range matched[min(at.offset, len(matched)):min(at.offset+size, len(matched))] {
		p.Users = append(p.Users, listed(e.User))
	}
	if next := at.offset + size; next < len(matched) {
		p.NextPageToken = s.newPage(page{status: at.status, offset: next, issued: now})
	}
	return reply{status: http.StatusOK, body: p}
}

// pageSize reads page_size: 30 when absent, at most 300.
func pageSize(s string) (int, bool) {
	if s == "" {
		return 30, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	return min(max(n, 1), 300), true
}

// resume works out where a listing starts: at a next_page_token, or at the
// page_number of the status filter. The caller holds s.mu.
func (s *Server) resume(q url.Values, size int, now time.Time) (page, reply) {
	if tok := q.Get("next_page_token"); tok != "" {
		p, ok := s.pages[tok]
		if !ok || now.Sub(p.issued) >= pageTokenTTL {
			return page{}, errorReply(http.StatusBadRequest, 300,
				"The next page token is invalid or expired.")
		}
		return p, reply{}
	}
	status := q.Get("status")
	switch status {
	case "":
		status = StatusActive
	case StatusActive, StatusInactive, StatusPending:
	default:
		return page{}, validationFailed("status")
	}
	number := 1
	if n := q.Get("page_number"); n != "" {
		var err error
		if number, err = strconv.Atoi(n); err != nil || number < 1 {
			return page{}, validationFailed("page_number")
		}
	}
	return page{status: status, offset: (number - 1) * size}, reply{}
}

// newPage records a next_page_token, forgetting expired ones. The caller
// holds s.mu.
func (s *Server) newPage(p page) string {
	for k, old := range s.pages {
		if p.issued.Sub(old.issued) >= pageTokenTTL {
			delete(s.pages, k)
		}
	}
	tok := secret(24)
	s.pages[tok] = p
	return tok
}
