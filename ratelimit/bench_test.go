package ratelimit

import (
	"context"
	"testing"
)

// BenchmarkWait measures the overhead of Wait and done for one caller, with
// no ceiling so that no call waits for a token.
func BenchmarkWait(b *testing.B) {
	g := New(Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		done, err := g.Wait(ctx)
		if err != nil {
			b.Fatal(err)
		}
		done()
	}
}

// BenchmarkWaitParallel is BenchmarkWait with callers on every processor.
func BenchmarkWaitParallel(b *testing.B) {
	g := New(Config{})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			done, err := g.Wait(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			done()
		}
	})
}

// BenchmarkCall measures the overhead of Call around an fn that succeeds.
func BenchmarkCall(b *testing.B) {
	g := New(Config{Adaptive: true})
	ctx := context.Background()
	fn := func(context.Context) (Verdict, error) { return Verdict{}, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Call(ctx, 1, fn); err != nil {
			b.Fatal(err)
		}
	}
}
