package s3store

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/tunesafe/tunesafe/internal/store"
)

// List yields the objects under prefix in lexical key order, which is the
// order S3 lists keys in (UTF-8 binary order; keys are ASCII). Objects in
// the bucket whose names are not valid keys below the store's prefix, such
// as the "folder/" markers some consoles create, are skipped. Listings of
// more than 1000 objects take several requests; an error ends the
// sequence.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[store.Info, error] {
	return func(yield func(store.Info, error) bool) {
		op := fmt.Sprintf("list %q", prefix)
		if err := ctx.Err(); err != nil {
			yield(store.Info{}, fmt.Errorf("%s: %w", op, err))
			return
		}
		// The iterator makes its requests as it is consumed and stops
		// with the consumer: no goroutine to drain or leak.
		for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
			Prefix:     s.prefix + prefix,
			Recursive:  true,
			FetchOwner: new(false),
		}) {
			if obj.Err != nil {
				yield(store.Info{}, classify(ctx, op, obj.Err))
				return
			}
			key, ok := strings.CutPrefix(obj.Key, s.prefix)
			if !ok || !store.ValidKey(key) {
				continue
			}
			if !yield(store.Info{Key: key, Size: obj.Size, ModTime: obj.LastModified}, nil) {
				return
			}
		}
		// minio-go ends a listing silently when the context is done;
		// a truncated listing must not look complete.
		if err := ctx.Err(); err != nil {
			yield(store.Info{}, fmt.Errorf("%s: %w", op, err))
		}
	}
}
