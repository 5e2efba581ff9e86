//go:build unix

package batch

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f for as long as f is open, or fails
// with ErrReportInUse when another process holds it.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrReportInUse
	}
	return err
}
