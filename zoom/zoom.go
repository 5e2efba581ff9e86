// Package zoom is a client for the parts of Zoom's REST API that offboard uses:
// Server-to-Server OAuth tokens, getting and listing users, and changing a user's
// status.
package zoom

import "fmt"

// Action is a change of a user's status.
type Action string

// The actions offboard sends. Zoom also knows clock_in and clock_out; offboard
// never sends them.
const (
	Activate   Action = "activate"
	Deactivate Action = "deactivate"
)

// ParseAction returns the action named s, which must be exactly "activate" or
// "deactivate".
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Activate, Deactivate:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q: want activate or deactivate", s)
}

// Status returns the user status the action leads to: "active" or "inactive".
func (a Action) Status() string {
	if a == Activate {
		return "active"
	}
	return "inactive"
}
