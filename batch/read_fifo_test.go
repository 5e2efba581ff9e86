//go:build unix

package batch

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenNamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leavers.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("Email\nalice@example.com\nbob@example.com\n")
		f.Close()
	}()
	in, err := Open(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	n := 0
	for _, err := range in.Rows() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 || in.Summary().Rows != 2 {
		t.Errorf("Open(a named pipe) gives %d rows, Summary %d; want 2", n, in.Summary().Rows)
	}
}
