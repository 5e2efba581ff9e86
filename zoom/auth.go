package zoom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Credentials are a Server-to-Server OAuth app's: Zoom's only unattended sign-in.
type Credentials struct {
	AccountID    string
	ClientID     string
	ClientSecret string
}

// String keeps the secret out of logs and error messages.
func (c Credentials) String() string {
	return fmt.Sprintf("account %s, client %s", c.AccountID, c.ClientID)
}

// AuthError means Zoom refused to issue a token: the credentials are wrong or
// the app is not activated.
type AuthError struct {
	HTTPStatus int
	Reason     string // Zoom's reason or the OAuth error code
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("zoom refused the credentials: %d %s", e.HTTPStatus, e.Reason)
}

// The scopes each call offboard makes may be granted by: any one of a list
// will do. Server-to-Server OAuth apps hold the admin scopes, classic
// (user:write:admin) or granular (user:update:status:admin); the others are
// those of apps that act for one user, as Zoom's spec lists them.
var (
	StatusScopes = []string{"user:update:status:admin", "user:write:admin",
		"user:update:status", "user:write"}
	GetUserScopes = []string{"user:read:user:admin", "user:read:admin", "user:write:admin",
		"user:read:user", "user:read", "user:write"}
	ListUsersScopes = []string{"user:read:list_users:admin", "user:read:admin",
		"user:write:admin", "user:read", "user:write"}
)

// HasScope reports whether granted holds any of the scopes in anyOf.
func HasScope(granted, anyOf []string) bool {
	return slices.ContainsFunc(anyOf, func(s string) bool { return slices.Contains(granted, s) })
}

// A TokenSource hands out the access token for every request and renews it on
// demand. Its methods are safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Renew drops the token, if it is still the current one, so the next call
	// to Token fetches another. It reports whether renewal is possible.
	Renew(stale string) bool
}

// StaticToken is a token the user already has. It cannot be renewed.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Renew reports that a static token cannot be renewed.
func (t StaticToken) Renew(string) bool { return false }

// AccountTokens fetches tokens with the account_credentials grant. It keeps one
// token for the whole run, fetched by one caller at a time, and renews it
// before it expires: a tenth of its lifetime early, at most five minutes. Zoom
// has been seen to invalidate a token when another is issued, so it never
// fetches two at once.
//
// oauth2.ReuseTokenSource caches tokens too, but it cannot be told that Zoom
// rejected one, which a 401 with code 124 requires.
type AccountTokens struct {
	cfg    clientcredentials.Config
	client *http.Client

	// lock is held by the one caller fetching or reading the token. It is a
	// channel rather than a mutex so that a caller waiting for it can give
	// up when its context ends.
	lock    chan struct{}
	token   string
	renewAt time.Time
	scopes  []string // granted to token, as Zoom's answer listed them
	listed  bool     // whether Zoom's answer listed the scopes at all
}

// NewAccountTokens returns a token source for the credentials at Zoom's token
// endpoint tokenURL. A nil client means http.DefaultClient.
func NewAccountTokens(c Credentials, tokenURL string, client *http.Client) *AccountTokens {
	if client == nil {
		client = http.DefaultClient
	}
	return &AccountTokens{
		client: client,
		lock:   make(chan struct{}, 1),
		cfg: clientcredentials.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			TokenURL:     tokenURL,
			AuthStyle:    oauth2.AuthStyleInHeader,
			EndpointParams: url.Values{
				"grant_type": {"account_credentials"},
				"account_id": {c.AccountID},
			},
		},
	}
}

// Token returns the current token, fetching a new one when there is none or
// it is about to expire.
func (a *AccountTokens) Token(ctx context.Context) (string, error) {
	select {
	case a.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-a.lock }()
	if a.token != "" && time.Now().Before(a.renewAt) {
		return a.token, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, a.client)
	t, err := a.cfg.Token(ctx)
	if err != nil {
		return "", tokenError(err)
	}
	life := time.Until(t.Expiry)
	if t.Expiry.IsZero() {
		life = time.Hour
	}
	a.token, a.renewAt = t.AccessToken, time.Now().Add(life-min(life/10, 5*time.Minute))
	scope, listed := t.Extra("scope").(string)
	a.scopes, a.listed = strings.Fields(scope), listed
	return a.token, nil
}

// Scopes returns the scopes Zoom granted the current token, fetching a token
// when there is none. The second result is false when Zoom's answer did not
// list them, so that what the token may do is unknown.
func (a *AccountTokens) Scopes(ctx context.Context) ([]string, bool, error) {
	if _, err := a.Token(ctx); err != nil {
		return nil, false, err
	}
	select {
	case a.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	defer func() { <-a.lock }()
	return slices.Clone(a.scopes), a.listed, nil
}

// Renew drops stale if it is still the current token.
func (a *AccountTokens) Renew(stale string) bool {
	a.lock <- struct{}{}
	defer func() { <-a.lock }()
	if a.token == stale {
		a.token = ""
	}
	return true
}

// tokenError turns a failed token request into an error that names no secret.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("fetch zoom access token: %w", err)
	}
	var body struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(re.Body, &body)
	reason := body.Reason
	if reason == "" {
		reason = re.ErrorDescription
	}
	if reason == "" {
		reason = re.ErrorCode
	}
	if reason == "" {
		reason = http.StatusText(re.Response.StatusCode)
	}
	return &AuthError{HTTPStatus: re.Response.StatusCode, Reason: reason}
}
