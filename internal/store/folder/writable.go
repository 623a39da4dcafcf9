package folder

import "fmt"

// CheckWritable reports, without writing anything, whether this user may
// create files in the store's directory: nil, or a permanent
// store.KindAccessDenied error around a *PermissionError when the
// directory's permissions refuse it or its disk is mounted read-only. A
// caller that knows the vault can only be read opens it for reading: a
// write it attempts anyway would fail and leave a record of the failure to
// publish. The answer is the filesystem's for the directory itself; a file
// or subdirectory with narrower permissions still fails its own writes.
func (s *Store) CheckWritable() error {
	if err := canWrite(s.root); err != nil {
		if s.isGone() {
			return s.gone()
		}
		return classify(fmt.Errorf("cannot write to the vault folder %s: %w", s.root, err))
	}
	return nil
}

var _ interface{ CheckWritable() error } = (*Store)(nil)
