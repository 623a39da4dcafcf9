package vault

import (
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot records one backup: the root tree and what it covered. The root
// tree has one entry per source path, named by the path's last element.
type Snapshot struct {
	Time     time.Time `json:"time"`
	Host     string    `json:"host"`
	Username string    `json:"username,omitempty"`
	Paths    []string  `json:"paths"`
	Tree     ID        `json:"tree"`
	Parent   *ID       `json:"parent,omitempty"`
	Tags     []string  `json:"tags,omitempty"`
	// Partial marks a checkpoint of a backup still running or interrupted:
	// everything listed is restorable, but files may be missing.
	Partial bool  `json:"partial,omitempty"`
	Stats   Stats `json:"stats"`
	// Library is the tree-like blob list of the music library view, if any.
	Library []ID `json:"library,omitempty"`
	// LogCheckpoint is the signed checkpoint of the vault's tamper-evident
	// log when the snapshot was committed.
	LogCheckpoint string `json:"log_checkpoint,omitempty"`
	Program       string `json:"program"`
}

// Stats summarise a snapshot.
type Stats struct {
	Files int64 `json:"files"`
	Dirs  int64 `json:"dirs"`
	Bytes int64 `json:"bytes"`
}

// SnapshotRef is a snapshot with its ID.
type SnapshotRef struct {
	ID ID `json:"id"`
	*Snapshot
}

func encodeSnapshot(s *Snapshot) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func decodeSnapshot(b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.Tree.IsZero() {
		return nil, fmt.Errorf("snapshot without a tree")
	}
	// encoding/json reads UTC offsets of 24 hours (+24:00 to ±24:59),
	// which it refuses to write: such a snapshot could not be listed.
	if _, err := s.Time.MarshalText(); err != nil {
		return nil, fmt.Errorf("snapshot time: %w", err)
	}
	return &s, nil
}
