package folder

// syncDir is a no-op on Windows, where directories cannot be opened for
// fsync; NTFS journals renames itself.
func syncDir(dir string) error { return nil }
