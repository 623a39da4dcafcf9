package store

// Find returns the first store of type T among s and the stores it wraps,
// following Unwrap() Store through decorators (retries, bandwidth limits,
// the tamper-evident log), or false when there is none. It is how a
// caller reaches an optional capability of the store underneath, such as
// S3 Object Lock or a folder's files that are no objects, without every
// decorator passing it on. What is done through the store found bypasses
// the decorators above it.
func Find[T any](s Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(interface{ Unwrap() Store })
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}
