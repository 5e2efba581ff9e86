package zoomtest

import "strings"

// directory is the account's users as the server holds them. The server's
// mutex guards it.
type directory struct {
	users   []*entry // in the order given, which is the order of listings
	byEmail map[string]*entry
	byID    map[string]*entry
}

// entry is one user and what the server has counted about it.
type entry struct {
	User
	statusCalls int
	redundant   int
	busy        bool // a call on this user is in flight
}

func newDirectory(users []User) *directory {
	d := &directory{
		users:   make([]*entry, 0, len(users)),
		byEmail: make(map[string]*entry, len(users)),
		byID:    make(map[string]*entry, len(users)),
	}
	for _, u := range users {
		if u.ID == "" {
			u.ID = userID(u.Email)
		}
		e := &entry{User: u}
		d.users = append(d.users, e)
		d.byEmail[strings.ToLower(u.Email)] = e
		d.byID[u.ID] = e
	}
	return d
}

// find returns the user with that ID or address, ignoring the address's case.
func (d *directory) find(idOrEmail string) *entry {
	if e, ok := d.byID[idOrEmail]; ok {
		return e
	}
	return d.byEmail[strings.ToLower(idOrEmail)]
}

// seats counts the users of type t who are active or pending, the users an
// account's licence caps count.
func (d *directory) seats(t int) int {
	n := 0
	for _, e := range d.users {
		if e.Type == t && e.Status != StatusInactive {
			n++
		}
	}
	return n
}

// withStatus returns the users that have status.
func (d *directory) withStatus(status string) []*entry {
	var out []*entry
	for _, e := range d.users {
		if e.Status == status {
			out = append(out, e)
		}
	}
	return out
}
