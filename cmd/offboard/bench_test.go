package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writeLeavers writes a leaver file of n rows, one in a hundred a duplicate.
func writeLeavers(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Name,Email,Department,Action")
	for i := range n {
		u := i
		if i%100 == 99 {
			u = i - 50
		}
		fmt.Fprintf(w, "User %d,user%07d@example.com,Dept %d,deactivate\n", u, u, u%40)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// peakHeap samples the heap in use until stop is closed and returns the
// largest value seen.
func peakHeap(stop <-chan struct{}) func() uint64 {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse+ms.StackInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// BenchmarkOfflineDryRun checks a million-row file with no network, as
// `offboard run --dry-run --offline` does, and reports the time per row and
// the peak memory.
func BenchmarkOfflineDryRun(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	file := filepath.Join(dir, "leavers.csv")
	writeLeavers(b, file, rows)
	runtime.GC()
	b.ResetTimer()
	var peak uint64
	for i := range b.N {
		report := filepath.Join(dir, fmt.Sprintf("report-%d.csv", i))
		stop := make(chan struct{})
		heap := peakHeap(stop)
		e, _, stderr := testEnv(nil, "")
		code := run(b.Context(), []string{"run", "--dry-run", "--offline", "--quiet",
			"--report", report, file}, e)
		close(stop)
		peak = max(peak, heap())
		if code != exitOK {
			b.Fatalf("offline dry run = exit %d; want 0\n%s", code, stderr)
		}
		b.StopTimer()
		os.Remove(report)
		runtime.GC()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB")
	}
}
