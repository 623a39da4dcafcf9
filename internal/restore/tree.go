package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// A folder of a snapshot is one tree object in the vault: the list of its
// entries, naming the trees of its subfolders in turn. A tree the provider
// lost, or holds damaged, or that does not decode, hides that folder and
// everything below it, but nothing else: the other folders' trees, and the
// blobs of their files, are objects of their own. So a walk that meets such
// a tree (ReadTree returns a *TreeError) notes the folder and goes on with
// the rest, as a restore goes on past a file whose blob is lost. Only a
// failure to reach the vault at all (the network, a cancelled context)
// stops the walk: every other tree would fail the same way.

// TreeError reports a folder of a snapshot whose tree cannot be read: the
// vault lost it or holds it damaged. Err is a *DamagedError, so that the
// command exits with its integrity code; running it again does not help.
type TreeError struct {
	Path string // the folder, slash-separated; "" for the snapshot's top
	Key  string // the tree's key in the vault
	Err  error
}

func (e *TreeError) Error() string {
	where := e.Path
	if where == "" {
		where = "/"
	}
	return where + ": " + e.Reason()
}

// Reason is the error without the folder's path, as Failure.Err holds it.
func (e *TreeError) Reason() string {
	msg := e.Err.Error()
	if !strings.Contains(msg, e.Key) {
		msg = e.Key + ": " + msg
	}
	return fmt.Sprintf("folder cannot be read (%s)", msg)
}

func (e *TreeError) Unwrap() error { return e.Err }

// ReadTree reads tree id, that of the folder rel of a snapshot ("" for its
// top). A tree the vault lost, holds damaged or cannot decode is a
// *TreeError; any other error is returned as it is.
func ReadTree(ctx context.Context, v *vault.Vault, id vault.ID, rel string) (*vault.Tree, error) {
	t, err := v.GetTree(ctx, id)
	if err == nil {
		return t, nil
	}
	var de *DamagedError
	if errors.As(fromVault(err), &de) {
		return nil, &TreeError{Path: rel, Key: vault.TreeKey(id), Err: de}
	}
	return nil, err
}
