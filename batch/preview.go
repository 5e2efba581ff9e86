package batch

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/offboard/offboard/zoom"
)

// BUG(preview): A get-a-user does not show whether a user is a Zoom Room or
// hosts upcoming Zoom Events, so the preview plans changes that Zoom then
// refuses with codes 200 and 300.

// preview says what a real run would do with row, asking Zoom only to read:
// it judges the user from the Runner's Roster when it holds them, and gets
// the user otherwise. Without a Service it checks the row alone.
func (st *run) preview(seq int, row Row) Result {
	res := st.result(seq, row)
	if st.Roster != nil && st.fromRoster(&res, row) {
		return res
	}
	if st.Service == nil {
		res.Outcome, res.Message = Planned, "checked offline; Zoom was not asked"
		return res
	}
	ctx, done := st.rowCalls()
	defer done()
	u, err := st.get(ctx, &res, row.User)
	if err != nil {
		return st.failed(ctx, res, row, err)
	}
	st.noteFailure(false)
	res.Outcome, res.ZoomCode, res.Message = judgeUser(u, row.Action)
	return res
}

// fromRoster judges row from the listing of the account. It reports false,
// leaving res alone, for a user ID the listing does not hold: pending users
// are listed without their IDs, so only a get can tell.
func (st *run) fromRoster(res *Result, row Row) bool {
	u, ok := st.Roster.Find(row.User)
	switch {
	case ok:
		res.Outcome, res.ZoomCode, res.Message = judgeUser(u, row.Action)
	case strings.Contains(row.User, "@"):
		res.Outcome, res.ZoomCode = Failed, zoom.CodeUserNotFound
		res.Message = unknownMessage(st.Roster.Similar(row.User, 2))
	default:
		return false
	}
	return true
}

// unknownMessage says that no user of the account has an address, naming
// the addresses it may have been meant as.
func unknownMessage(similar []string) string {
	msg := "no user of the account has this address"
	switch len(similar) {
	case 0:
		return msg
	case 1:
		return fmt.Sprintf("%s: did you mean %s?", msg, similar[0])
	}
	return fmt.Sprintf("%s: did you mean %s or %s?", msg, similar[0], similar[1])
}

// judgeUser predicts what a status change of u would meet. A user who
// already has the status is unchanged whatever their role: Zoom refuses to
// change an owner, and the check that follows a refusal finds the status
// already there.
func judgeUser(u zoom.User, a zoom.Action) (Outcome, int, string) {
	role := roleName(u)
	switch {
	case u.Status == "pending":
		return Failed, 0, "pending: the user never joined the account; unlinking them, " +
			"not deactivating, removes them"
	case u.Status == a.Status():
		return Unchanged, 0, "already " + u.Status
	case strings.EqualFold(role, "Owner") || strings.EqualFold(role, "Admin"):
		return Failed, zoom.CodeAdminOrRoom,
			fmt.Sprintf("%s users cannot be activated or deactivated", role)
	}
	return Planned, 0, fmt.Sprintf("would %s: %s, %s, %s", a, u.Status, orDash(role),
		zoom.TypeName(u.Type))
}

// roleName returns u's role_name, or the name its role_id stands for: a
// listing gives only the ID, and tells custom roles by ID alone.
func roleName(u zoom.User) string {
	switch {
	case u.RoleName != "":
		return u.RoleName
	case u.RoleID == "":
		return ""
	}
	return cmp.Or(zoom.BuiltinRole(u.RoleID), "custom role")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
