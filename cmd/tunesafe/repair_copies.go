package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/tunesafe/tunesafe/internal/repair"
	"github.com/tunesafe/tunesafe/internal/store"
	"github.com/tunesafe/tunesafe/internal/vault"
)

// repairCopies opens the copies repair may put damaged objects back from
// (repair.Options.Copies): the locations given with --from, or else the
// replicas the config file lists, when the vault is the config's.
//
// A copy is only read, and an object is only taken from it when its bytes
// hash to what the vault's log recorded, so a wrong location can give
// nothing wrong back. Still, a location that holds another vault, or none,
// is refused when named with --from (a mistyped location should not pass
// silently), and skipped with a warning when it comes from the config
// file, as is a replica folder that does not exist (a disk not mounted).
func (a *app) repairCopies(ctx context.Context, s *session, o repairOptions) ([]repair.Copy, error) {
	targets := make([]copyTarget, 0, len(o.from))
	for _, loc := range o.from {
		targets = append(targets, copyTarget{To: loc, Profile: o.fromProfile, Endpoint: o.fromEndpoint})
	}
	explicit := len(targets) > 0
	if !explicit {
		if o.fromProfile != "" || o.fromEndpoint != "" {
			return nil, usagef("", "--from-profile and --from-endpoint go with --from")
		}
		cfg, err := a.loadConfig()
		if err != nil || !cfg.isVault(s.loc) || s.replicaOf != "" {
			return nil, nil
		}
		targets = cfg.Copies
	}
	var copies []repair.Copy
	for _, t := range targets {
		c, err := a.openRepairCopy(ctx, s, t, explicit)
		switch {
		case err == nil:
			copies = append(copies, c)
		case explicit:
			return nil, err
		default:
			fmt.Fprintf(a.stderr, "tunesafe: warning: the config file's copy %s is not used: %v\n", t.To, err)
		}
	}
	return copies, nil
}

// openRepairCopy opens one copy and checks that it holds this vault.
func (a *app) openRepairCopy(ctx context.Context, s *session, t copyTarget, explicit bool) (repair.Copy, error) {
	if err := t.check(); err != nil {
		return repair.Copy{}, err
	}
	if t.To == s.loc {
		return repair.Copy{}, usagef("give --from the location of a replica made by 'tunesafe copy'", "--from %s is the vault itself", t.To)
	}
	st, err := a.openReplicaBackend(ctx, t, true)
	var missing *replicaMissingError
	if errors.As(err, &missing) {
		if explicit {
			return repair.Copy{}, usagef("give --from an existing replica's folder (is its disk mounted?)", "%s does not exist", t.To)
		}
		return repair.Copy{}, errors.New("its folder does not exist (a disk not mounted?)")
	}
	if err != nil {
		return repair.Copy{}, err
	}
	raw, err := store.ReadAll(ctx, st, vault.ConfigKey)
	var theirs struct {
		ID string `json:"id"`
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return repair.Copy{}, usagef("give --from a replica made by 'tunesafe copy' of this vault", "%s holds no vault (no %s)", t.To, vault.ConfigKey)
	case err != nil:
		return repair.Copy{}, fmt.Errorf("read %s in %s: %w", vault.ConfigKey, t.To, err)
	case json.Unmarshal(raw, &theirs) != nil || theirs.ID != s.vault.Config().ID:
		return repair.Copy{}, usagef("give --from a replica made by 'tunesafe copy' of this vault", "%s holds another vault (id %q; this vault is %q)", t.To, theirs.ID, s.vault.Config().ID)
	}
	return repair.Copy{Name: t.To, Store: st}, nil
}
