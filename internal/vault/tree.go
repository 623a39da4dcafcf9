package vault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"time"
	"unicode/utf8"
)

// Node types in a tree.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
)

// Node is one entry of a directory.
type Node struct {
	// Name is the entry's name when it is valid UTF-8; otherwise NameRaw
	// holds the exact bytes (base64 in JSON) and Name is empty.
	Name    string `json:"name,omitempty"`
	NameRaw []byte `json:"name_raw,omitempty"`
	Type    string `json:"type"`
	// Mode holds the Unix permission bits (including setuid, setgid, sticky).
	Mode  uint32    `json:"mode"`
	MTime time.Time `json:"mtime"`
	// Size of a file in bytes.
	Size int64 `json:"size,omitempty"`
	// SHA256 of the whole file (hex), checked on every restore.
	SHA256 string `json:"sha256,omitempty"`
	// Layout is "" when the file is the concatenation of Blobs, or the name
	// of the reconstruction (docs/FORMAT.md) that turns the concatenation
	// into the file.
	Layout string `json:"layout,omitempty"`
	Blobs  []ID   `json:"blobs,omitempty"`
	// Lists are the positions in Blobs, ascending, of blobs that are lists
	// (list.go): each stands for the blobs it names.
	Lists []int `json:"lists,omitempty"`
	// Subtree is the tree of a directory.
	Subtree *ID `json:"subtree,omitempty"`
	// Target of a symlink, or TargetRaw when it is not valid UTF-8.
	Target    string `json:"target,omitempty"`
	TargetRaw []byte `json:"target_raw,omitempty"`
}

// SetName stores name, raw when it is not valid UTF-8.
func (n *Node) SetName(name string) {
	if utf8.ValidString(name) {
		n.Name, n.NameRaw = name, nil
	} else {
		n.Name, n.NameRaw = "", []byte(name)
	}
}

// FileName returns the entry's exact name.
func (n *Node) FileName() string {
	if n.NameRaw != nil {
		return string(n.NameRaw)
	}
	return n.Name
}

// SetTarget stores a symlink target, raw when it is not valid UTF-8.
func (n *Node) SetTarget(t string) {
	if utf8.ValidString(t) {
		n.Target, n.TargetRaw = t, nil
	} else {
		n.Target, n.TargetRaw = "", []byte(t)
	}
}

// LinkTarget returns the exact symlink target.
func (n *Node) LinkTarget() string {
	if n.TargetRaw != nil {
		return string(n.TargetRaw)
	}
	return n.Target
}

// FileMode returns the node's type and permission bits as an fs.FileMode.
func (n *Node) FileMode() fs.FileMode {
	m := fs.FileMode(n.Mode & 0o777)
	if n.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch n.Type {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	}
	return m
}

// UnixMode converts fs.FileMode permission bits to Unix mode bits.
func UnixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// Tree is one directory: its entries sorted by exact name bytes.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Sort orders the nodes by name, as the format requires.
func (t *Tree) Sort() {
	sort.Slice(t.Nodes, func(i, j int) bool { return t.Nodes[i].FileName() < t.Nodes[j].FileName() })
}

// Find returns the node called name, or nil.
func (t *Tree) Find(name string) *Node {
	i := sort.Search(len(t.Nodes), func(i int) bool { return t.Nodes[i].FileName() >= name })
	if i < len(t.Nodes) && t.Nodes[i].FileName() == name {
		return &t.Nodes[i]
	}
	return nil
}

// EncodeTree returns the canonical JSON of t (sorted, one node per line),
// whose ID names the tree.
func EncodeTree(t *Tree) ([]byte, error) {
	t.Sort()
	for i := 1; i < len(t.Nodes); i++ {
		if t.Nodes[i].FileName() == t.Nodes[i-1].FileName() {
			return nil, fmt.Errorf("tree has two entries named %q", t.Nodes[i].FileName())
		}
	}
	var b bytes.Buffer
	b.WriteString("{\"nodes\":[")
	for i := range t.Nodes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		// No HTML escaping: names such as "Simon & Garfunkel" stay greppable.
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&t.Nodes[i]); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline

	}
	b.WriteString("\n]}\n")
	return b.Bytes(), nil
}

// DecodeTree parses a tree and checks its invariants.
func DecodeTree(b []byte) (*Tree, error) {
	var t Tree
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		name := n.FileName()
		if name == "" || name == "." || name == ".." || bytes.ContainsAny([]byte(name), "/\x00") {
			return nil, fmt.Errorf("tree entry with invalid name %q", name)
		}
		switch n.Type {
		case TypeFile:
			for j, l := range n.Lists {
				if l < 0 || l >= len(n.Blobs) || (j > 0 && l <= n.Lists[j-1]) {
					return nil, fmt.Errorf("entry %q: list positions %v out of order or range", name, n.Lists)
				}
			}
		case TypeSymlink:
		case TypeDir:
			if n.Subtree == nil {
				return nil, fmt.Errorf("directory %q without subtree", name)
			}
		default:
			return nil, fmt.Errorf("entry %q has unknown type %q", name, n.Type)
		}
		if i > 0 && t.Nodes[i-1].FileName() >= name {
			return nil, fmt.Errorf("tree entries out of order at %q", name)
		}
		// encoding/json reads UTC offsets of 24 hours, which it refuses
		// to write: such an entry could not be listed.
		if _, err := n.MTime.MarshalText(); err != nil {
			return nil, fmt.Errorf("entry %q: %w", name, err)
		}
	}
	return &t, nil
}
