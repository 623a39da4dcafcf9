package folder

// canWrite has no answer on Windows without writing: the read-only
// attribute of a directory does not stop files being created in it, and
// ACLs are checked by the write itself. A refused write is still classified
// as a *PermissionError.
func canWrite(dir string) error { return nil }
