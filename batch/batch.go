// Package batch reads a file of users to change, runs each row through a pool of
// workers, and records every row's outcome in a report.
package batch

// Outcome is how a row ended. Every row of the input ends in exactly one.
type Outcome string

// The outcomes, as they appear in the report.
const (
	Updated   Outcome = "updated"   // Zoom accepted the change
	Unchanged Outcome = "unchanged" // the user already had the requested status
	Failed    Outcome = "failed"    // Zoom refused, or the attempts ran out
	Invalid   Outcome = "invalid"   // the row itself is wrong
	Skipped   Outcome = "skipped"   // deliberately not sent, such as a duplicate
	Planned   Outcome = "planned"   // dry run: the change would happen
	Pending   Outcome = "pending"   // not attempted because the run stopped
)

// Outcomes lists every outcome, in the order summaries give them.
var Outcomes = []Outcome{Updated, Unchanged, Planned, Skipped, Invalid, Failed, Pending}
