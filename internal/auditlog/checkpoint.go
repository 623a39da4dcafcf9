package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the signed statement of a log's state, in the C2SP
// tlog-checkpoint format (c2sp.org/tlog-checkpoint): the log's origin (the
// name of the vault's log key), the number of records, and the RFC 6962
// Merkle tree hash of those records.
type Checkpoint struct {
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Hash   tlog.Hash `json:"hash"`
}

// Text returns the checkpoint's note text: "<origin>\n<size>\n<base64 hash>\n".
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint parses a checkpoint's note text (without signatures). It
// accepts exactly the three lines Text writes; extension lines are refused.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	lines := bytes.Split(text, []byte("\n"))
	if len(lines) != 4 || len(lines[3]) != 0 {
		return Checkpoint{}, errors.New("checkpoint: want exactly three lines")
	}
	var c Checkpoint
	c.Origin = string(lines[0])
	size, err := strconv.ParseInt(string(lines[1]), 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad size %q", lines[1])
	}
	c.Size = size
	h, err := base64.StdEncoding.DecodeString(string(lines[2]))
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint: bad root hash %q", lines[2])
	}
	copy(c.Hash[:], h)
	if c.Origin == "" || !bytes.Equal(c.Text(), text) {
		return Checkpoint{}, errors.New("checkpoint: not in canonical form")
	}
	return c, nil
}

// SignCheckpoint signs c with s and returns the note: the text, a blank
// line and one signature line.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	if c.Origin != s.Name() {
		return nil, fmt.Errorf("checkpoint origin %q is not the signer's name %q", c.Origin, s.Name())
	}
	return note.Sign(&note.Note{Text: string(c.Text())}, s)
}

// OpenCheckpoint verifies a signed checkpoint against v and parses it. The
// checkpoint's origin must be v's name. Signatures by other keys (a
// witness's cosignature) are ignored. Errors say what is wrong; the Log
// turns them into a *TamperError for objects read from the vault.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, fmt.Errorf("%w: not signed by %s", errSignature, v.Name())
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("%w: %v", errSignature, err)
		}
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint: origin %q is not the vault's log %q", c.Origin, v.Name())
	}
	return c, nil
}

// errSignature marks a checkpoint whose signature does not verify.
var errSignature = errors.New("checkpoint signature does not verify")
