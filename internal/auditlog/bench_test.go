package auditlog

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkAppend100k journals 100,000 PUT records (each fsynced before
// its operation could be sent) and publishes them in one flush.
func BenchmarkAppend100k(b *testing.B) {
	const n = 100_000
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newFixture(b)
				f.dir = b.TempDir()
				l, err := Open(b.Context(), f.options())
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for i := w; i < n; i += workers {
							in, err := l.Begin(Put{Key: fmt.Sprintf("blobs/%06d", i), Size: int64(i)})
							if err != nil {
								b.Error(err)
								return
							}
							in.Done(nil)
						}
					})
				}
				wg.Wait()
				if err := l.Close(b.Context()); err != nil {
					b.Fatal(err)
				}
				if l.Size() != n {
					b.Fatalf("size %d", l.Size())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}
