package zoom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// User is what offboard reads of a Zoom user. Pending users come back sparse.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	FirstName     string    `json:"first_name"`
	LastName      string    `json:"last_name"`
	Status        string    `json:"status"`    // "active", "inactive" or "pending"
	Type          int       `json:"type"`      // see the Type constants
	RoleName      string    `json:"role_name"` // "Owner", "Admin", "Member" or a custom role
	RoleID        string    `json:"role_id"`   // "0" owner, "1" admin, "2" member: all listings give
	Dept          string    `json:"dept"`
	LastLoginTime time.Time `json:"last_login_time"`
	CreatedAt     time.Time `json:"created_at"`
	UserCreatedAt time.Time `json:"user_created_at"` // listings' name for CreatedAt
}

// User types, as Zoom numbers them.
const (
	TypeBasic     = 1
	TypeLicensed  = 2
	TypeNoMeeting = 4 // no meetings licence
	TypeNone      = 99
)

// builtinRoles names Zoom's built-in roles by role_id, which listings give
// instead of role_name.
var builtinRoles = map[string]string{"0": "Owner", "1": "Admin", "2": "Member"}

// BuiltinRole returns the name of the built-in role whose role_id is id:
// "Owner", "Admin" or "Member", or "" for a custom role.
func BuiltinRole(id string) string { return builtinRoles[id] }

// TypeName returns the name of a user type, such as "Licensed".
func TypeName(t int) string {
	switch t {
	case TypeBasic:
		return "Basic"
	case TypeLicensed:
		return "Licensed"
	case TypeNoMeeting:
		return "No meetings licence"
	case TypeNone:
		return "None"
	}
	return fmt.Sprintf("type %d", t)
}

// errUnconfirmed means an answer was lost and the user does not have the
// status yet: the change must be sent again.
var errUnconfirmed = errors.New("the answer was lost and the user is not changed yet")

// SetStatus activates or deactivates a user, named by Zoom user ID or email.
//
// When an answer is lost on the way, the change may have taken effect anyway.
// The next attempt then gets the user instead, and reports success with
// Confirmed set when the user already has the status asked for, so that a
// change is never sent twice.
func (c *Client) SetStatus(ctx context.Context, userID string, a Action) (Response, error) {
	if a != Activate && a != Deactivate {
		return Response{}, fmt.Errorf("set status of %s: unknown action %q", userID, a)
	}
	if userID == "" || userID == "me" {
		return Response{}, fmt.Errorf("set status: refusing user %q", userID)
	}
	put := call{method: http.MethodPut, path: userPath(userID, "status"), body: statusBody{a}}
	var lost error
	resp, _, err := c.retry(
		ctx,
		c.cfg.Light,
		func(ctx context.Context) (Response, []byte, string, error) {
			if lost == nil {
				r, data, token, err := c.sendOnce(ctx, put)
				if isNetworkError(err) {
					lost = err
				}
				return r, data, token, err
			}
			r, data, token, err := c.confirm(ctx, userID, a, lost)
			if errors.Is(err, errUnconfirmed) {
				lost = nil
			}
			return r, data, token, err
		},
	)
	return resp, err
}

type statusBody struct {
	Action Action `json:"action"`
}

// confirm gets the user after the answer to a status change was lost.
func (c *Client) confirm(
	ctx context.Context,
	userID string,
	a Action,
	lost error,
) (Response, []byte, string, error) {
	get := call{method: http.MethodGet, path: userPath(userID)}
	r, data, token, err := c.sendOnce(ctx, get)
	if err != nil {
		return r, nil, token, err
	}
	var u User
	if err := decode(get, data, &u); err != nil {
		return r, nil, token, err
	}
	if u.Status == a.Status() {
		r.Confirmed = true
		return r, nil, token, nil
	}
	return r, nil, token, fmt.Errorf("%w: %w", errUnconfirmed, lost)
}

// GetUser gets a user by Zoom user ID or email.
func (c *Client) GetUser(ctx context.Context, userID string) (User, Response, error) {
	var u User
	resp, err := c.do(ctx, c.cfg.Light, call{method: http.MethodGet, path: userPath(userID)}, &u)
	return u, resp, err
}

// Page is one page of a user listing.
type Page struct {
	Users         []User `json:"users"`
	NextPageToken string `json:"next_page_token"`
	TotalRecords  int    `json:"total_records"`
	PageSize      int    `json:"page_size"`
}

// ListUsers gets one page of the account's users with the given status
// ("active", "inactive" or "pending"). An empty pageToken asks for the first
// page. Zoom allows up to 300 users a page; page tokens expire after 15 minutes.
func (c *Client) ListUsers(
	ctx context.Context,
	status string,
	pageSize int,
	pageToken string,
) (Page, Response, error) {
	q := url.Values{"status": {status}, "page_size": {strconv.Itoa(pageSize)}}
	if pageToken != "" {
		q.Set("next_page_token", pageToken)
	}
	var p Page
	resp, err := c.do(ctx, c.cfg.Medium, call{method: http.MethodGet, path: "users", query: q}, &p)
	return p, resp, err
}

// IsNotFound reports whether err says the user does not exist.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == CodeUserNotFound || e.HTTPStatus == http.StatusNotFound)
}
