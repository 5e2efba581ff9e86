package batch

import (
	"context"
	"fmt"

	"github.com/offboard/offboard/zoom"
)

// Lister lists the account's users a page at a time. *zoom.Client is one.
type Lister interface {
	ListUsers(ctx context.Context, status string, pageSize int, pageToken string) (
		zoom.Page, zoom.Response, error)
}

// MinRosterRows is the fewest rows for which a preview considers listing
// the account rather than getting each user. Learning the account's size
// takes the first page of each status, three calls lost when the listing
// turns out dearer; below this many rows they would add more than a sixth
// to the calls.
const MinRosterRows = 20

// ListRosterIfCheaper lists every user of the account, active, inactive and
// pending, into a Roster, when that takes fewer calls than getting each of
// rows users. It first asks for the first page of each status, whose
// total_records tell how many pages the rest takes, and goes on only when
// those pages are fewer than rows; otherwise it returns a nil Roster and no
// error. Fewer than MinRosterRows rows return nil at once, without a call.
//
// Listings are Medium calls: l paces them apart from the Light gets of a run.
func ListRosterIfCheaper(ctx context.Context, l Lister, rows int) (*Roster, error) {
	if rows < MinRosterRows {
		return nil, nil
	}
	first := make([]zoom.Page, len(rosterStatuses))
	rest := 0
	for i, status := range rosterStatuses {
		p, _, err := l.ListUsers(ctx, status, ListPageSize, "")
		if err != nil {
			return nil, fmt.Errorf("list %s users, page 1: %w", status, err)
		}
		first[i] = p
		rest += pagesOf(p) - 1
	}
	if rest >= rows {
		return nil, nil
	}
	r := NewRoster()
	for i, status := range rosterStatuses {
		if err := r.list(ctx, l, status, first[i]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// pagesOf returns how many pages the listing that p starts takes.
func pagesOf(p zoom.Page) int {
	size := p.PageSize
	if size <= 0 {
		size = ListPageSize
	}
	return max(1, (p.TotalRecords+size-1)/size)
}

// list adds the users of the listing of status that page starts, following
// next_page_token, and starts the listing over when a token expires. Users
// seen before a restart are not added twice.
func (r *Roster) list(ctx context.Context, l Lister, status string, page zoom.Page) error {
	return listPages(ctx, l, status, &page, &r.Pages, &r.Restarts, func(p zoom.Page) {
		for _, u := range p.Users {
			if u.Status == "" {
				u.Status = status
			}
			r.Add(u)
		}
	})
}
