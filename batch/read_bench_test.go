package batch

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchRows is the size of the file that BenchmarkRead reads.
const benchRows = 1_000_000

// writeBenchInput writes a file of n rows, one in a hundred of them a
// duplicate, and returns its path.
func writeBenchInput(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "leavers.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Email,First Name,Last Name,Department,Action")
	for i := range n {
		user := i
		if i%100 == 99 {
			user = i / 2
		}
		fmt.Fprintf(w, "user%07d@example.com,First%d,\"Last, %d\",Sales,deactivate\r\n",
			user, i, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// heapPeak samples the memory that the Go runtime holds, every few
// milliseconds, and remembers the most.
type heapPeak struct {
	stop    chan struct{}
	done    sync.WaitGroup
	objects uint64 // most bytes in heap objects, live or not yet collected
	held    uint64 // most bytes mapped by the runtime and not released
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{})}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	p.done.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			p.objects = max(p.objects, samples[0].Value.Uint64())
			p.held = max(p.held, samples[1].Value.Uint64()-samples[2].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	})
	return p
}

func (p *heapPeak) end() {
	close(p.stop)
	p.done.Wait()
}

// BenchmarkRead opens a file of a million rows and reads its rows: both
// passes. It reports the time per row and the peak memory.
func BenchmarkRead(b *testing.B) {
	path := writeBenchInput(b, benchRows)
	runtime.GC()
	peak := startHeapPeak()
	for b.Loop() {
		in, err := Open(path, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, err := range in.Rows() {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		in.Close()
		if n != benchRows {
			b.Fatalf("Rows() gave %d rows; want %d", n, benchRows)
		}
	}
	peak.end()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
	b.ReportMetric(float64(peak.objects)/(1<<20), "MiB-heap-peak")
	b.ReportMetric(float64(peak.held)/(1<<20), "MiB-held-peak")
	if rss, ok := peakRSS(); ok {
		b.ReportMetric(float64(rss)/(1<<20), "MiB-process-peak-RSS")
	}
}

// peakRSS returns the most resident memory the process has used, where the
// system tells it (Linux).
func peakRSS() (int64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
			return n << 10, err == nil
		}
	}
	return 0, false
}
