package batch

import (
	"fmt"
	"strings"

	"github.com/offboard/offboard/zoom"
)

// BUG(preview): A get-a-user does not show whether a user is a Zoom Room or
// hosts upcoming Zoom Events, so the preview plans changes that Zoom then
// refuses with codes 200 and 300.

// preview says what a real run would do with row, asking Zoom only to read:
// it gets the user instead of changing them. Without a Service it checks the
// row alone.
func (st *run) preview(seq int, row Row) Result {
	res := st.result(seq, row)
	if st.Service == nil {
		res.Outcome, res.Message = Planned, "checked offline; Zoom was not asked"
		return res
	}
	u, err := st.get(&res, row.User)
	if err != nil {
		return st.failure(res, err)
	}
	st.noteFailure(false)
	res.Outcome, res.ZoomCode, res.Message = judgeUser(u, row.Action)
	return res
}

// judgeUser predicts what a status change of u would meet.
func judgeUser(u zoom.User, a zoom.Action) (Outcome, int, string) {
	role := u.RoleName
	switch {
	case u.Status == "pending":
		return Failed, 0, "pending: the user never joined the account; unlinking them, " +
			"not deactivating, removes them"
	case strings.EqualFold(role, "Owner") || strings.EqualFold(role, "Admin"):
		return Failed, zoom.CodeAdminOrRoom, fmt.Sprintf("%s users cannot be activated or deactivated", role)
	case u.Status == a.Status():
		return Unchanged, 0, "already " + u.Status
	}
	return Planned, 0, fmt.Sprintf("would %s: %s, %s, %s", a, u.Status, orDash(role), zoom.TypeName(u.Type))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
