package folder

// A vault may sit at the root of a disk, where the operating system keeps
// folders of its own: lost+found on ext4 (readable by root alone), System
// Volume Information and $RECYCLE.BIN on a disk Windows has seen, .Trashes,
// .Spotlight-V100 and .fseventsd on one a Mac has. They are never objects,
// a user cannot remove them, and some cannot even be read: List and Strays
// pass over them at the store's root, so that a check of the whole vault
// neither fails on them nor reports them.

// SystemFolder reports whether name, at the root of a disk, is a folder
// the operating system keeps there.
func SystemFolder(name string) bool {
	switch name {
	case "lost+found", "System Volume Information", "$RECYCLE.BIN",
		".Trashes", ".Spotlight-V100", ".fseventsd", ".TemporaryItems", ".DocumentRevisions-V100":
		return true
	}
	return false
}
