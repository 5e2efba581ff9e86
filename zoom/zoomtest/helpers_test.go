package zoomtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/offboard/offboard/zoom/zoomtest"
)

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// zoomErr decodes a Zoom error body; it is zero if the body is not one.
func (a answer) zoomErr() (code int, message string) {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(a.body, &e)
	return e.Code, e.Message
}

// client talks to one sandbox through its in-process transport.
type client struct {
	t     testing.TB
	s     *zoomtest.Server
	http  *http.Client
	token string
}

// newClient returns a client holding a fresh token of s.
func newClient(t testing.TB, s *zoomtest.Server) *client {
	t.Helper()
	c := &client{t: t, s: s, http: &http.Client{Transport: s.Transport()}}
	c.token = c.fetchToken()
	return c
}

// fetchToken asks the token endpoint for a token with the server's
// credentials and returns it.
func (c *client) fetchToken() string {
	c.t.Helper()
	a := c.tokenRequest(c.s.Credentials(), url.Values{
		"grant_type": {"account_credentials"}, "account_id": {c.s.Credentials().AccountID}}, "")
	if a.status != http.StatusOK {
		c.t.Fatalf("POST /oauth/token = %d %s; want 200", a.status, a.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" {
		c.t.Fatalf("token answer %s: no access_token (%v)", a.body, err)
	}
	return tok.AccessToken
}

// tokenRequest posts form to the token endpoint with creds as Basic auth and
// query appended to the URL.
func (c *client) tokenRequest(creds zoomtest.Credentials, form url.Values, query string) answer {
	c.t.Helper()
	u := c.s.TokenURL()
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(creds.ClientID, creds.ClientSecret)
	return c.send(req)
}

// do sends an API call with the client's token; path is relative to the API
// URL and already escaped. A non-empty body is sent as JSON.
func (c *client) do(method, path, body string) answer {
	c.t.Helper()
	return c.doAs(c.token, method, path, body, "application/json")
}

// doAs sends an API call with the given token and body type.
func (c *client) doAs(token, method, path, body, ctype string) answer {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.s.APIURL()+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) answer {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// deactivate sends a status call deactivating user, given as an escaped path
// segment.
func (c *client) deactivate(user string) answer {
	c.t.Helper()
	return c.do(http.MethodPut, "/users/"+user+"/status", `{"action":"deactivate"}`)
}

func (c *client) activate(user string) answer {
	c.t.Helper()
	return c.do(http.MethodPut, "/users/"+user+"/status", `{"action":"activate"}`)
}

// get sends a get-a-user call for user, given as an escaped path segment.
func (c *client) get(user string) answer {
	c.t.Helper()
	return c.do(http.MethodGet, "/users/"+user, "")
}

func is2xx(status int) bool { return status >= 200 && status < 300 }
