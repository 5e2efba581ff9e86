package zoomtest

import (
	"crypto/subtle"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// token is an issued access token.
type token struct {
	expires time.Time
	scopes  []string
}

// oauthError is the body of the token endpoint's errors, which differ from
// the API's.
type oauthError struct {
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

func oauthReply(status int, kind, reason string) reply {
	return reply{status: status, body: oauthError{Reason: reason, Error: kind}}
}

// tokenAnswer is the token endpoint's success body.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	APIURL      string `json:"api_url"`
}

// issueToken answers POST /oauth/token for the account_credentials grant.
func (s *Server) issueToken(r *http.Request) reply {
	if r.Method != http.MethodPost {
		return oauthReply(http.StatusMethodNotAllowed, "invalid_request", "Method not allowed")
	}
	q := r.URL.Query()
	if q.Has("grant_type") || q.Has("account_id") {
		return oauthReply(http.StatusBadRequest, "invalid_request",
			"Parameters must be sent in the request body")
	}
	id, sec, ok := r.BasicAuth()
	if !ok || !equal(id, s.creds.ClientID) || !equal(sec, s.creds.ClientSecret) {
		return oauthReply(http.StatusUnauthorized, "invalid_client",
			"Invalid client_id or client_secret")
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct !=
		"application/x-www-form-urlencoded" {
		return oauthReply(http.StatusBadRequest, "invalid_request", "Invalid request body")
	}
	if err := r.ParseForm(); err != nil {
		return oauthReply(http.StatusBadRequest, "invalid_request", "Invalid request body")
	}
	if g := r.PostForm.Get("grant_type"); g != "account_credentials" {
		return oauthReply(http.StatusBadRequest, "unsupported_grant_type",
			"Unsupported grant type")
	}
	if !equal(r.PostForm.Get("account_id"), s.creds.AccountID) {
		return oauthReply(http.StatusBadRequest, "invalid_request", "Invalid account_id")
	}
	return reply{status: http.StatusOK, body: s.newToken(time.Now())}
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// newToken records a fresh token, dropping the ones it replaces.
func (s *Server) newToken(now time.Time) tokenAnswer {
	ttl := s.opts.tokenTTL()
	scopes := s.opts.scopes()
	access := secret(48)

	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		if s.opts.TokenReplacesPrevious || !now.Before(t.expires) {
			delete(s.tokens, k)
		}
	}
	s.tokens[access] = token{expires: now.Add(ttl), scopes: scopes}
	s.stats.TokensIssued++
	return tokenAnswer{AccessToken: access, TokenType: "bearer",
		ExpiresIn: int(ttl / time.Second), Scope: strings.Join(scopes, " "), APIURL: s.base}
}

// authorize checks the request's bearer token for one of the operation's
// scopes. The caller holds s.mu.
func (s *Server) authorize(r *http.Request, op *operation, now time.Time) (reply, bool) {
	scheme, access, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	t, ok := s.tokens[access]
	switch {
	case !strings.EqualFold(scheme, "bearer") || !ok:
		return invalidToken("Invalid access token."), false
	case !now.Before(t.expires):
		return invalidToken("Access token is expired."), false
	}
	for _, sc := range op.scopes {
		if slices.Contains(t.scopes, sc) {
			return reply{}, true
		}
	}
	return errorReply(http.StatusBadRequest, 4711,
		"Invalid access token, does not contain scopes:[%s].", strings.Join(op.scopes, ", ")), false
}
