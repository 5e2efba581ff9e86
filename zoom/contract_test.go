package zoom_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/offboard/offboard/ratelimit"
	"github.com/offboard/offboard/zoom"
	"github.com/offboard/offboard/zoom/zoomtest"
	"github.com/offboard/offboard/zoom/zoomtest/spectest"
)

// TestContract sends every call the client makes to the sandbox, checking
// each request and each answer against Zoom's published spec, successes and
// refusals alike.
func TestContract(t *testing.T) {
	spec := spectest.Load(t)
	synctest.Test(t, func(t *testing.T) {
		sb := zoomtest.New(zoomtest.Options{Wrap: spec.Wrap(t)})
		hc := &http.Client{Transport: sb.Transport()}
		c, err := zoom.NewClient(zoom.Config{
			APIURL:     sb.APIURL(),
			Tokens:     zoom.NewAccountTokens(zoom.Credentials(sb.Credentials()), sb.TokenURL(), hc),
			HTTPClient: hc,
			Light:      ratelimit.New(ratelimit.Config{Rate: 30}),
			Medium:     ratelimit.New(ratelimit.Config{Rate: 20}),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, u := range zoomtest.Embedded() {
			got, _, err := c.GetUser(ctx, u.Email)
			if err != nil {
				t.Fatalf("GetUser(%s) = %v", u.Email, err)
			}
			a := zoom.Deactivate
			if got.Status == "inactive" {
				a = zoom.Activate
			}
			// Refusals (owners, admins, pending users, events) are answers too.
			c.SetStatus(ctx, u.Email, a)
			if got.ID != "" {
				c.GetUser(ctx, got.ID)
			}
		}
		c.GetUser(ctx, "nobody@example.com")
		c.SetStatus(ctx, "nobody@example.com", zoom.Deactivate)
		for _, status := range []string{"active", "inactive", "pending"} {
			token := ""
			for {
				p, _, err := c.ListUsers(ctx, status, 20, token)
				if err != nil {
					t.Fatalf("ListUsers(%s) = %v", status, err)
				}
				if token = p.NextPageToken; token == "" {
					break
				}
			}
		}
		if st := sb.Stats(); st.Requests["PUT"] == 0 || st.Requests["GET"] == 0 {
			t.Errorf("sandbox saw %v; want gets, lists and status changes", st.Requests)
		}
	})
}
