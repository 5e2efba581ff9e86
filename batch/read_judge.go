package batch

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/offboard/offboard/zoom"
)

// cleanCell returns c without the spaces, tabs, no-break spaces and
// invisible formatting characters (such as a stray byte order mark or a
// zero-width space from a web page) around it.
func cleanCell(c string) string {
	return strings.TrimFunc(c, isBlankRune)
}

// isBlankRune reports whether r is white space or an invisible formatting
// character.
func isBlankRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// cellAt returns the cleaned field i of rec, or "" when rec is shorter or i
// is negative.
func cellAt(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return cleanCell(rec[i])
}

// isZoomID reports whether s has the shape of a Zoom user ID: 16 to 32
// letters, digits, dashes and underscores, with at least one letter and at
// least one digit or capital letter. Zoom's IDs, such as
// zJKyaiAyTNC-MWjiWC18KQ, are 22 such characters; the looser length leaves
// room for others, and the mix of characters refuses plain words.
func isZoomID(s string) bool {
	if len(s) < 16 || len(s) > 32 {
		return false
	}
	letter, mixed := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			letter = true
		case 'A' <= c && c <= 'Z':
			letter, mixed = true, true
		case '0' <= c && c <= '9':
			mixed = true
		case c != '-' && c != '_':
			return false
		}
	}
	return letter && mixed
}

// emailProblem returns why s is not a plausible email address, or "" when
// it is. It checks the shape only: one @, something before it, a domain of
// dot-separated labels after it, and no characters that never appear in
// addresses people use.
func emailProblem(s string) string {
	local, domain, _ := strings.Cut(s, "@")
	switch {
	case strings.Contains(domain, "@"):
		return "it has more than one @"
	case local == "":
		return "nothing comes before the @"
	case domain == "":
		return "no domain comes after the @"
	case len(local) > 64:
		return "more than 64 bytes come before the @"
	case len(s) > 254:
		return "it is longer than 254 bytes"
	}
	if strings.ContainsAny(s, "<>") {
		return "write the address alone, without a name or <>"
	}
	if p := charProblem(s); p != "" {
		return p
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") ||
		strings.Contains(local, "..") {
		return "a dot is misplaced before the @"
	}
	return domainProblem(domain)
}

// charProblem returns what character of s has no place in an email address.
func charProblem(s string) string {
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch {
		case r < utf8.RuneSelf && r > ' ' && r != 0x7f:
			if strings.IndexByte(`,;:<>()[]\"|`, byte(r)) >= 0 {
				return fmt.Sprintf("it holds %q", r)
			}
		case unicode.IsSpace(r):
			return "it holds a space"
		case r == utf8.RuneError:
			return "it holds a character that could not be decoded"
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("it holds the invisible character %U", r)
		}
	}
	return ""
}

// domainProblem returns why domain is not a plausible mail domain.
func domainProblem(domain string) string {
	if !strings.Contains(domain, ".") {
		return fmt.Sprintf("its domain %q has no dot", domain)
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Sprintf("its domain %q is malformed", domain)
		}
	}
	return ""
}

// identityProblem returns why the cleaned cell user does not name a Zoom
// user, or "" when it does.
func identityProblem(user string) string {
	switch {
	case user == "":
		return "no user given"
	case strings.EqualFold(user, "me"):
		return `"me" is refused: Zoom reads it as the account owner`
	case strings.Contains(user, "@"):
		if p := emailProblem(user); p != "" {
			return fmt.Sprintf("%q is not an email address: %s", user, p)
		}
		return ""
	case isZoomID(user):
		return ""
	}
	return fmt.Sprintf("%q is neither an email address nor a Zoom user ID", user)
}

// userKey returns the form of a valid user under which duplicates compare
// equal: email addresses in lower case, Zoom user IDs as they are, since
// those are case-sensitive.
func userKey(user string) string {
	if strings.Contains(user, "@") {
		return strings.ToLower(user)
	}
	return user
}

// rowJudge judges each row on its own, without regard to the others.
type rowJudge struct {
	colLayout
	defaultAction zoom.Action
	domains       []string  // allowed mail domains in lower case; nil allows all
	today         time.Time // midnight UTC of the day that is today
}

// newRowJudge returns a judge set up by opt, or an error wrapping ErrOption.
func newRowJudge(opt *ReadOptions) (*rowJudge, error) {
	j := &rowJudge{defaultAction: zoom.Deactivate}
	if opt.DefaultAction != "" {
		a, err := zoom.ParseAction(string(opt.DefaultAction))
		if err != nil {
			return nil, fmt.Errorf("%w: default action: %w", ErrOption, err)
		}
		j.defaultAction = a
	}
	for _, d := range opt.OnlyDomains {
		d = strings.ToLower(strings.TrimPrefix(cleanCell(d), "@"))
		if domainProblem(d) != "" {
			return nil, fmt.Errorf("%w: allowed domain %q is not a mail domain", ErrOption, d)
		}
		j.domains = append(j.domains, d)
	}
	today := opt.Today
	if today.IsZero() {
		today = time.Now()
	}
	y, m, d := today.UTC().Date()
	j.today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return j, nil
}

// judge returns rec, a data record starting on line, as a Row whose Outcome
// is Invalid, Skipped (dated after today) or "" (to be sent).
func (j *rowJudge) judge(rec []string, line int) Row {
	row := Row{Line: line, User: cellAt(rec, j.identity)}
	action, actionProblem := j.parseAction(cellAt(rec, j.action))
	row.Action = action
	problem := identityProblem(row.User)
	if j.header != nil && problem != "" && row.User == j.header[j.identity] {
		problem = "this row repeats the header"
	}
	if problem == "" {
		problem = actionProblem
	}
	if problem == "" {
		problem = j.outsideDomains(row.User)
	}
	day, dateProblem := effectiveDay(cellAt(rec, j.effective))
	if problem == "" {
		problem = dateProblem
	}
	switch {
	case problem != "":
		row.Outcome, row.Message = Invalid, problem
	case day.After(j.today):
		row.Outcome, row.Message = Skipped, "effective "+day.Format(time.DateOnly)
	}
	return row
}

// parseAction returns the action that the cleaned cell c asks for.
func (j *rowJudge) parseAction(c string) (zoom.Action, string) {
	if c == "" {
		return j.defaultAction, ""
	}
	a, err := zoom.ParseAction(strings.ToLower(c))
	if err != nil {
		return "", fmt.Sprintf("action %q is neither activate nor deactivate", c)
	}
	return a, ""
}

// outsideDomains returns why the valid user is outside the allowed domains.
// A Zoom user ID is refused when domains are set: its domain is unknown,
// and the allowed domains are there to keep the run from touching anyone
// outside them.
func (j *rowJudge) outsideDomains(user string) string {
	if j.domains == nil {
		return ""
	}
	_, domain, ok := strings.Cut(user, "@")
	if !ok {
		return "a Zoom user ID cannot be checked against the allowed domains: " +
			"give the email address instead"
	}
	domain = strings.ToLower(domain)
	for _, d := range j.domains {
		if domain == d {
			return ""
		}
	}
	return fmt.Sprintf("domain %q is not one of the allowed domains %s",
		domain, strings.Join(j.domains, ", "))
}

// dateLayouts are the layouts of an effective date without a zone: a date,
// or a date and time as spreadsheets write a cell formatted so. The time of
// such a value is ignored.
var dateLayouts = []string{time.DateOnly, time.DateTime, "2006-01-02T15:04:05",
	"2006-01-02 15:04", "2006-01-02T15:04"}

// effectiveDay returns the UTC day of the cleaned cell c: an ISO date such
// as 2026-11-30, an RFC 3339 date and time, or a date and time without a
// zone. An empty cell has the zero day, which is never after today: a row
// without a date is done now.
func effectiveDay(c string) (time.Time, string) {
	if c == "" {
		return time.Time{}, ""
	}
	if t, err := time.Parse(time.RFC3339, c); err == nil {
		y, m, d := t.UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), ""
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, c); err == nil {
			return t.Truncate(24 * time.Hour), ""
		}
	}
	return time.Time{}, fmt.Sprintf("effective date %q is neither YYYY-MM-DD nor RFC 3339", c)
}
