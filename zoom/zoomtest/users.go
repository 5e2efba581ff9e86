package zoomtest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// User is one user of the simulated account.
type User struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	Status    string // "active", "inactive" or "pending"
	Role      string // role_name: "Owner", "Admin", "Member" or a custom role
	Type      int    // 1 Basic, 2 Licensed, 4 no meetings licence, 99 none
	Dept      string
	LastLogin time.Time // the zero time means never signed in
	Created   time.Time

	// ZoomRoom marks a Zoom Room user: status changes are refused with code 200.
	ZoomRoom bool

	// UpcomingEvents marks a user hosting Zoom Events: deactivation is refused
	// with code 300.
	UpcomingEvents bool
}

// The user statuses Zoom knows.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusPending  = "pending"
)

// The user types Zoom knows.
const (
	TypeBasic     = 1
	TypeLicensed  = 2
	TypeNoMeeting = 4
	TypeNone      = 99
)

//go:embed users.csv
var embeddedCSV []byte

// Embedded returns the built-in demo directory: about sixty users of
// example.com with an owner, admins, a Zoom Room, a host of upcoming events,
// pending and inactive users, and members of every licence type, some of whom
// have not signed in for months.
func Embedded() []User {
	users, err := ReadUsers(bytes.NewReader(embeddedCSV))
	if err != nil {
		panic("zoomtest: embedded directory: " + err.Error())
	}
	return users
}

var (
	firstNames = []string{"Ada", "Bola", "Carmen", "Dev", "Elif", "Femi", "Grace", "Hiro",
		"Ines", "Jonas", "Kwame", "Lena", "Mateo", "Nadia", "Omar", "Paula", "Quinn", "Rosa",
		"Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zoltan"}
	lastNames = []string{"Abara", "Berg", "Costa", "Dubois", "Esposito", "Fischer", "Garcia",
		"Haddad", "Ito", "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Petrov",
		"Rossi", "Silva", "Tanaka", "Usman", "Varga", "Weber", "Yilmaz", "Zhang"}
	depts = []string{"Engineering", "Sales", "Support", "Finance", "Marketing", "Legal",
		"People", "Operations", ""}
)

// Generate returns n active members user00001@example.com, user00002@example.com
// and so on, with a realistic spread of licence types, departments, creation
// dates and last sign-ins (some never, about a fifth more than 90 days ago).
// The same n gives the same users, dated relative to today.
func Generate(n int) []User {
	rng := rand.New(rand.NewPCG(uint64(n), 0x5a0b))
	today := time.Now().UTC().Truncate(24 * time.Hour)
	users := make([]User, n)
	for i := range users {
		email := fmt.Sprintf("user%05d@example.com", i+1)
		u := User{
			ID:        userID(email),
			Email:     email,
			FirstName: firstNames[rng.IntN(len(firstNames))],
			LastName:  lastNames[rng.IntN(len(lastNames))],
			Status:    StatusActive,
			Role:      "Member",
			Type:      generatedType(rng),
			Dept:      depts[rng.IntN(len(depts))],
			Created:   today.Add(-time.Duration(90+rng.IntN(2000)) * 24 * time.Hour),
		}
		switch p := rng.Float64(); {
		case p < 0.1: // never signed in
		case p < 0.3:
			u.LastLogin = today.Add(-time.Duration(91+rng.IntN(600)) * 24 * time.Hour)
		default:
			u.LastLogin = today.Add(-time.Duration(rng.IntN(90*24)) * time.Hour)
		}
		users[i] = u
	}
	return users
}

func generatedType(rng *rand.Rand) int {
	switch p := rng.Float64(); {
	case p < 0.15:
		return TypeBasic
	case p < 0.2:
		return TypeNoMeeting
	}
	return TypeLicensed
}

// userID derives a stable Zoom-like user ID from an email address.
func userID(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// ErrUsersFile is wrapped by every error ReadUsers returns about the file's
// content.
var ErrUsersFile = errors.New("invalid users file")

// ErrNoEmailColumn is returned by ReadUsers for a file whose header has no
// email column. It wraps ErrUsersFile. Such a file may still be a leaver
// file that offboard's own reader understands; Members then makes users of it.
var ErrNoEmailColumn = fmt.Errorf("%w: no email column in header", ErrUsersFile)

// ReadUsers reads a CSV file with a header row. With a status column it is a
// directory whose columns are email (required), id, first_name, last_name,
// status, role, type, dept, last_login, created, zoom_room and
// upcoming_events, in any order; other columns are ignored. Dates are RFC 3339
// times, dates like 2024-05-31, or "Nd" for N days ago; an empty last_login
// means never signed in. Without a status column it is a list of addresses,
// such as offboard's own input: every distinct address in its email column
// becomes an active licensed Member.
func ReadUsers(r io.Reader) ([]User, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read users header: %w", err)
	}
	cols := columns(header)
	if _, ok := cols["email"]; !ok {
		return nil, ErrNoEmailColumn
	}
	read, dedupe := rowReader(readMember), true
	if _, ok := cols["status"]; ok {
		read, dedupe = readDirectoryRow, false
	}
	users, err := readRows(cr, cols, read, dedupe)
	if err != nil {
		return nil, err
	}
	return users, checkDirectory(users)
}

// rowReader turns one record into a user; ok false skips the record.
type rowReader func(rec []string, cols map[string]int) (u User, ok bool, err error)

// readRows reads every record; with dedupe, later rows naming an address
// already read are dropped rather than left for checkDirectory to refuse.
func readRows(cr *csv.Reader, cols map[string]int, read rowReader, dedupe bool) ([]User, error) {
	var users []User
	seen := make(map[string]bool)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return users, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("read users line %d: %w", line, err)
		}
		u, ok, err := read(rec, cols)
		if err != nil {
			return nil, fmt.Errorf("read users line %d: %w", line, err)
		}
		key := strings.ToLower(u.Email)
		if !ok || dedupe && seen[key] {
			continue
		}
		seen[key] = true
		users = append(users, u)
	}
}

func columns(header []string) map[string]int {
	cols := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := cols[h]; !dup {
			cols[h] = i
		}
	}
	return cols
}

func field(rec []string, cols map[string]int, name string) string {
	i, ok := cols[name]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// readMember reads a row of an address list; rows without a plausible
// address are skipped, since the sandbox should still serve their neighbours.
func readMember(rec []string, cols map[string]int) (User, bool, error) {
	email := field(rec, cols, "email")
	if !strings.Contains(email, "@") {
		return User{}, false, nil
	}
	u := member(email)
	u.FirstName, u.LastName, _ = strings.Cut(field(rec, cols, "name"), " ")
	return u, true, nil
}

// member returns an active licensed Member with address email.
func member(email string) User {
	return User{
		ID: userID(email), Email: email, Status: StatusActive, Role: "Member", Type: TypeLicensed,
		LastLogin: time.Now().UTC().Add(-72 * time.Hour),
		Created:   time.Now().UTC().Add(-400 * 24 * time.Hour),
	}
}

// Members returns a directory of active licensed Members, one for each
// distinct address in emails, compared without regard to case; entries
// that are not addresses are left out.
func Members(emails []string) []User {
	seen := make(map[string]bool, len(emails))
	var users []User
	for _, e := range emails {
		if k := strings.ToLower(e); strings.Contains(e, "@") && !seen[k] {
			seen[k] = true
			users = append(users, member(e))
		}
	}
	return users
}

func readDirectoryRow(rec []string, cols map[string]int) (User, bool, error) {
	f := func(name string) string { return field(rec, cols, name) }
	u := User{
		ID: f("id"), Email: f("email"), FirstName: f("first_name"), LastName: f("last_name"),
		Status: cmp.Or(strings.ToLower(f("status")), StatusActive),
		Role:   cmp.Or(f("role"), "Member"), Dept: f("dept"),
	}
	if u.Email == "" {
		return User{}, false, fmt.Errorf("%w: empty email", ErrUsersFile)
	}
	u.ID = cmp.Or(u.ID, userID(u.Email))
	var p fieldParser
	u.Type = p.number("type", f("type"), TypeLicensed)
	u.LastLogin = p.when("last_login", f("last_login"))
	u.Created = p.when("created", f("created"))
	u.ZoomRoom = p.flag("zoom_room", f("zoom_room"))
	u.UpcomingEvents = p.flag("upcoming_events", f("upcoming_events"))
	if p.err != nil {
		return User{}, false, fmt.Errorf("%w: %w", ErrUsersFile, p.err)
	}
	return u, true, nil
}

// fieldParser parses a row's fields, keeping the first error.
type fieldParser struct{ err error }

func (p *fieldParser) keep(err error) {
	if p.err == nil {
		p.err = err
	}
}

// number reads an integer; empty means def.
func (p *fieldParser) number(name, s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.keep(fmt.Errorf("%s %q: want a number", name, s))
	}
	return n
}

// when reads an RFC 3339 time, a date, or "Nd" for N days before today;
// empty means the zero time.
func (p *fieldParser) when(name, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			p.keep(fmt.Errorf("%s %q: want a count of days like 30d", name, s))
		}
		today := time.Now().UTC().Truncate(24 * time.Hour)
		return today.Add(-time.Duration(n) * 24 * time.Hour)
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	p.keep(fmt.Errorf("%s %q: want an RFC 3339 time, a date or Nd", name, s))
	return time.Time{}
}

// flag reads a yes or no; empty means no.
func (p *fieldParser) flag(name, s string) bool {
	switch strings.ToLower(s) {
	case "", "false", "no", "0":
		return false
	case "true", "yes", "1":
		return true
	}
	p.keep(fmt.Errorf("%s %q: want true or false", name, s))
	return false
}

// checkDirectory reports users the server could not hold: a missing address,
// an unknown status or type, or an address or ID used twice.
func checkDirectory(users []User) error {
	emails := make(map[string]bool, len(users))
	ids := make(map[string]bool, len(users))
	for _, u := range users {
		key := strings.ToLower(u.Email)
		switch {
		case !strings.Contains(u.Email, "@"):
			return fmt.Errorf("%w: user %q has no email address", ErrUsersFile, u.ID)
		case u.Status != StatusActive && u.Status != StatusInactive && u.Status != StatusPending:
			return fmt.Errorf("%w: user %s: unknown status %q", ErrUsersFile, u.Email, u.Status)
		case u.Type != TypeBasic && u.Type != TypeLicensed && u.Type != TypeNoMeeting &&
			u.Type != TypeNone:
			return fmt.Errorf("%w: user %s: unknown type %d", ErrUsersFile, u.Email, u.Type)
		case emails[key]:
			return fmt.Errorf("%w: address %s appears twice", ErrUsersFile, u.Email)
		case u.ID != "" && ids[u.ID]:
			return fmt.Errorf("%w: user ID %s appears twice", ErrUsersFile, u.ID)
		}
		emails[key], ids[u.ID] = true, true
	}
	return nil
}
