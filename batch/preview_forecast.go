package batch

import "github.com/offboard/offboard/zoom"

// Forecast counts what a preview's results say a real run would do.
type Forecast struct {
	Deactivate      int // planned deactivations
	Activate        int // planned activations
	AlreadyInactive int // rows to deactivate users who are inactive already
	AlreadyActive   int // rows to activate users who are active already
	Fail            int // rows Zoom would refuse, or users it does not have
	Invalid         int
	Skipped         int
	Pending         int // rows the preview did not get to
}

// Add counts the result of one previewed row.
func (f *Forecast) Add(res Result) {
	switch res.Outcome {
	case Planned, Updated:
		if res.Action == zoom.Activate {
			f.Activate++
		} else {
			f.Deactivate++
		}
	case Unchanged:
		if res.Action == zoom.Activate {
			f.AlreadyActive++
		} else {
			f.AlreadyInactive++
		}
	case Failed:
		f.Fail++
	case Invalid:
		f.Invalid++
	case Skipped:
		f.Skipped++
	case Pending:
		f.Pending++
	}
}

// Sends returns how many rows a real run would send a status change for:
// those that fail and those that change nothing are sent too.
func (f Forecast) Sends() int {
	return f.Deactivate + f.Activate + f.AlreadyInactive + f.AlreadyActive + f.Fail
}
