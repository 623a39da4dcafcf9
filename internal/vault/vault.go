// Package vault reads and writes the Tunesafe vault format (version 1),
// specified in docs/FORMAT.md, a copy of which every vault holds.
//
// Glossary:
//   - blob: a chunk of file content, named by its content ID, stored under
//     blobs/<2 hex>/<id>; the unit of deduplication and of resume.
//   - tree: one directory as canonical JSON (trees/<2 hex>/<id>), naming
//     its entries and, for files, the blobs whose concatenation is the file.
//   - snapshot: one backup (snapshots/<id>), naming the root tree.
//   - keys: the secrets of an encrypted vault (keys/<name>), each key file
//     encrypted with a passphrase; changing the passphrase rewrites keys/.
//
// In an encrypted vault every object except tunesafe.json and FORMAT.md is
// a standard age file, so the stock age CLI can decrypt it. The package knows
// nothing of music, scanning or restoring: engines build on it.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/tunesafe/tunesafe/internal/chunker"
	"github.com/tunesafe/tunesafe/internal/store"
)

// Vault is an open vault.
type Vault struct {
	store store.Store
	cfg   *Config
	// rawConfig is tunesafe.json as read (or as rebuilt).
	rawConfig []byte
	keys      *Keys
	hasher    Hasher
	codec     codec
	// lazy opens the key files on first need when the vault was opened
	// with a remembered id-key (remembered.go); keys is then nil.
	lazy *lazyKeys
	// reads recycles the buffers of ReadBlob (*bytes.Buffer).
	reads *sync.Pool
	// copies, if set, keeps trees, lists and snapshots (copies.go).
	copies Copies
}

// InitOptions configure a new vault.
type InitOptions struct {
	Encrypt    bool
	Passphrase string
	// ScryptLogN is the passphrase KDF work factor (log2 N); 0 means
	// DefaultScryptLogN.
	ScryptLogN int
	Chunker    chunker.Params
	// FormatDoc is written to FORMAT.md.
	FormatDoc []byte
	// ID names the vault; NewVaultID makes one. Empty means a new one.
	ID string
	// LogKey, if set, is stored with the keys (signer of the log).
	LogKey       string
	LogPublicKey string
	// ObjectLock, if set, is recorded in tunesafe.json; the caller's store
	// must already apply it, so that the vault's first objects are locked.
	ObjectLock *ObjectLock
}

// DefaultScryptLogN is the passphrase work factor of new key files:
// scrypt with N = 2^16 (64 MiB, about a quarter of a second), paid by every
// command that opens an encrypted vault. A long passphrase is what protects
// the keys; the work factor only slows guessing down.
const DefaultScryptLogN = 16

// NewVaultID returns a fresh random vault ID.
func NewVaultID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Init creates a vault in s, which must not hold one already.
func Init(ctx context.Context, s store.Store, o InitOptions) (*Vault, error) {
	if _, err := s.Stat(ctx, ConfigKey); err == nil {
		return nil, ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if o.Chunker == (chunker.Params{}) {
		o.Chunker = chunker.DefaultParams
	}
	if o.ScryptLogN == 0 {
		o.ScryptLogN = DefaultScryptLogN
	}
	if err := o.Chunker.Validate(); err != nil {
		return nil, err
	}
	if o.ObjectLock != nil {
		if err := o.ObjectLock.Validate(); err != nil {
			return nil, err
		}
	}
	if o.ID == "" {
		o.ID = NewVaultID()
	}
	cfg := newConfig(o.ID, time.Now(), o.Chunker, o.LogPublicKey, o.ObjectLock)
	v := &Vault{store: s, cfg: cfg, hasher: NewHasher(nil), reads: new(sync.Pool)}
	if o.Encrypt {
		if o.Passphrase == "" {
			return nil, ErrNeedPassphrase
		}
		k, err := newKeys(cfg.ID)
		if err != nil {
			return nil, err
		}
		k.LogKey = o.LogKey
		cfg.encryptTo(k)
		sealed, err := sealKeys(k, o.Passphrase, o.ScryptLogN)
		if err != nil {
			return nil, err
		}
		if err := s.Put(ctx, KeysPrefix+newKeyName(), sealed); err != nil {
			return nil, fmt.Errorf("write key file: %w", err)
		}
		v.useKeys(k)
	}
	if len(o.FormatDoc) > 0 {
		if err := s.Put(ctx, FormatKey, o.FormatDoc); err != nil {
			return nil, fmt.Errorf("write %s: %w", FormatKey, err)
		}
	}
	// The config goes last: a vault exists once it is written.
	v.rawConfig = cfg.JSON()
	if err := s.Put(ctx, ConfigKey, v.rawConfig); err != nil {
		return nil, fmt.Errorf("write %s: %w", ConfigKey, err)
	}
	return v, nil
}

func newKeyName() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (v *Vault) useKeys(k *Keys) {
	v.keys = k
	v.hasher = NewHasher(k.IDKey)
	v.codec = codec{recipient: k.Identity.Recipient(), identity: k.Identity, bufs: new(sync.Pool)}
}

// Open opens the vault in s. passphrase is called only when the vault is
// encrypted; it may prompt the user.
func Open(ctx context.Context, s store.Store, passphrase func() (string, error)) (*Vault, error) {
	return OpenWith(ctx, s, OpenOptions{Passphrase: passphrase})
}

// OpenWith opens the vault in s; see OpenOptions. An encrypted vault
// opened with a remembered id-key asks for its passphrase on first need,
// with ctx.
func OpenWith(ctx context.Context, s store.Store, o OpenOptions) (*Vault, error) {
	cfg, raw := o.Config, o.ConfigJSON
	if cfg == nil {
		b, err := store.ReadAll(ctx, s, ConfigKey)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, noConfig(ctx, s)
		}
		if err != nil {
			return nil, err
		}
		if cfg, err = ParseConfig(b); err != nil {
			return nil, err
		}
		raw = b
	}
	if raw == nil {
		raw = cfg.JSON()
	}
	v := &Vault{store: s, cfg: cfg, rawConfig: raw, hasher: NewHasher(nil), reads: new(sync.Pool)}
	if !cfg.encrypted() {
		return v, nil
	}
	if o.Keys != nil {
		if err := v.checkRecipient(o.Keys); err != nil {
			return nil, err
		}
		v.useKeys(o.Keys)
		return v, nil
	}
	if o.RememberedIDKey != nil {
		if key := o.RememberedIDKey(cfg.ID); len(key) == 32 {
			if o.CheckKeyFiles {
				if err := v.checkKeyFiles(ctx); err != nil {
					return nil, err
				}
			}
			if err := v.openRemembered(ctx, key, o.Passphrase, o.AskAgain); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	k, err := v.openKeys(ctx, o.Passphrase, o.AskAgain)
	if err != nil {
		return nil, err
	}
	v.useKeys(k)
	return v, nil
}

// noConfig tells why s has no tunesafe.json: ErrConfigLost when it holds
// what only a vault that was backed up to has (snapshots, blobs),
// ErrNoVault otherwise (an init that stopped before tunesafe.json leaves
// keys/ and log/, and init finishes it), or the error that kept it from
// telling.
func noConfig(ctx context.Context, s store.Store) error {
	for _, prefix := range []string{"snapshots/", "blobs/"} {
		for _, err := range s.List(ctx, prefix) {
			if err != nil {
				return err
			}
			return ErrConfigLost
		}
	}
	return ErrNoVault
}

// openKeys reads the key files, then asks for the passphrase and opens the
// one it opens, asking again after a wrong one while askAgain
// (OpenOptions.AskAgain) says so. The key files are read first: without
// one (ErrNoKeyFile) no passphrase would help, and none is asked for; and
// another try needs no further request.
func (v *Vault) openKeys(ctx context.Context, passphrase func() (string, error), askAgain func(int) bool) (*Keys, error) {
	files, err := v.readKeyFiles(ctx)
	if err != nil {
		return nil, err
	}
	if passphrase == nil {
		return nil, ErrNeedPassphrase
	}
	var k *Keys
	for tries := 1; ; tries++ {
		pass, err := passphrase()
		if err != nil {
			return nil, err
		}
		if pass == "" {
			return nil, ErrNeedPassphrase
		}
		k, err = v.unlockFiles(files, pass)
		if errors.Is(err, ErrWrongPassphrase) && askAgain != nil && askAgain(tries) {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if err := v.checkRecipient(k); err != nil {
		return nil, err
	}
	return k, nil
}

func (v *Vault) checkRecipient(k *Keys) error {
	if k.Identity.Recipient().String() != v.cfg.Recipient {
		return &FormatError{Msg: "the key file does not match the vault's recipient in " + ConfigKey}
	}
	return nil
}

// UnlockKeys opens the key file of the vault in s that pass opens, without
// the vault's tunesafe.json: ErrWrongPassphrase when none does,
// ErrNoKeyFile when there is none.
func UnlockKeys(ctx context.Context, s store.Store, pass string) (*Keys, error) {
	return (&Vault{store: s}).unlock(ctx, pass)
}

// keyFile is a key file as stored.
type keyFile struct {
	key    string
	sealed []byte
}

// readKeyFiles reads every key file (a LIST, and a GET each; a vault has
// one, unless a creation stopped part way at the same location left
// another's): ErrNoKeyFile when there is none.
func (v *Vault) readKeyFiles(ctx context.Context) ([]keyFile, error) {
	var files []keyFile
	for info, err := range v.store.List(ctx, KeysPrefix) {
		if err != nil {
			return nil, err
		}
		sealed, err := store.ReadAll(ctx, v.store, info.Key)
		if err != nil {
			return nil, err
		}
		files = append(files, keyFile{info.Key, sealed})
	}
	if len(files) == 0 {
		return nil, ErrNoKeyFile
	}
	return files, nil
}

// checkKeyFiles lists keys/ (one LIST, which stops at the first key
// file): ErrNoKeyFile when the key files are gone.
func (v *Vault) checkKeyFiles(ctx context.Context) error {
	for _, err := range v.store.List(ctx, KeysPrefix) {
		return err
	}
	return ErrNoKeyFile
}

// unlock reads every key file and opens the one pass opens (unlockFiles).
func (v *Vault) unlock(ctx context.Context, pass string) (*Keys, error) {
	files, err := v.readKeyFiles(ctx)
	if err != nil {
		return nil, err
	}
	return v.unlockFiles(files, pass)
}

// unlockFiles tries every key file with the passphrase. With the vault's
// tunesafe.json read, it skips a key file the passphrase opens whose
// identity is not the vault's recipient, and returns one such only when
// no other fits.
func (v *Vault) unlockFiles(files []keyFile, pass string) (*Keys, error) {
	var foreign *Keys
	for _, f := range files {
		k, err := openKeys(f.sealed, pass)
		if errors.Is(err, ErrWrongPassphrase) {
			continue
		}
		if err != nil {
			return nil, &CorruptError{Key: f.key, Err: err}
		}
		// A key file of another vault: one whose creation at this
		// location stopped before its tunesafe.json, with the same
		// passphrase. The vault's own is further on.
		if v.cfg != nil && v.checkRecipient(k) != nil {
			foreign = k
			continue
		}
		return k, nil
	}
	if foreign != nil {
		return foreign, nil // checkRecipient says why it does not fit
	}
	return nil, ErrWrongPassphrase
}

// ChangePassphrase writes a new key file sealed with newPass and removes
// the others. Only keys/ changes.
func (v *Vault) ChangePassphrase(ctx context.Context, newPass string, scryptLogN int) error {
	keys := v.Keys()
	if v.lazy != nil {
		var err error
		if keys, err = v.lazy.get(); err != nil {
			return err
		}
	}
	if keys == nil {
		return errors.New("the vault is not encrypted: there is no passphrase to change")
	}
	if newPass == "" {
		return errors.New("the new passphrase is empty")
	}
	var old []string
	for info, err := range v.store.List(ctx, KeysPrefix) {
		if err != nil {
			return err
		}
		old = append(old, info.Key)
	}
	if scryptLogN == 0 {
		scryptLogN = DefaultScryptLogN
	}
	sealed, err := sealKeys(keys, newPass, scryptLogN)
	if err != nil {
		return err
	}
	if err := v.store.Put(ctx, KeysPrefix+newKeyName(), sealed); err != nil {
		return err
	}
	for _, k := range old {
		if err := v.store.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// WithStore returns the same open vault writing through another store (a
// decorated chain over the same objects).
func (v *Vault) WithStore(s store.Store) *Vault {
	c := *v
	c.store = s
	return &c
}

// Unseal decodes stored bytes written by Seal.
func (v *Vault) Unseal(stored []byte, compressed bool) ([]byte, error) {
	plain, err := v.codec.open(stored, compressed)
	var le *lockedError
	if errors.As(err, &le) {
		return nil, le.err
	}
	return plain, err
}

// openStored decodes the stored bytes of key: a failure is damage to the
// object, unless the key files could not be opened.
func (v *Vault) openStored(key string, stored []byte, compressed bool) ([]byte, error) {
	plain, err := v.codec.open(stored, compressed)
	var le *lockedError
	if errors.As(err, &le) {
		return nil, le.err
	}
	if err != nil {
		return nil, &CorruptError{Key: key, Err: err}
	}
	return plain, nil
}

// Config returns the vault's configuration.
func (v *Vault) Config() *Config { return v.cfg }

// ConfigJSON returns tunesafe.json as it was read, fields this version does
// not know included; for a vault opened with a rebuilt config, that one.
func (v *Vault) ConfigJSON() []byte { return v.rawConfig }

// Keys returns the vault's secrets, or nil for a plain vault.
// Keys returns the vault's secrets once its key files are open: nil for a
// plain vault, and for one opened with a remembered id-key that has not
// needed them yet.
func (v *Vault) Keys() *Keys {
	if v.lazy != nil {
		return v.lazy.peek()
	}
	return v.keys
}

// Store returns the store the vault writes to.
func (v *Vault) Store() store.Store { return v.store }

// Encrypted reports whether the vault encrypts its objects.
func (v *Vault) Encrypted() bool { return v.cfg.encrypted() }

// Hasher returns the content-ID function of this vault.
func (v *Vault) Hasher() Hasher { return v.hasher }

// Seal encodes plaintext for storage (encrypting in an encrypted vault).
func (v *Vault) Seal(plain []byte, compress bool) ([]byte, error) {
	return v.codec.seal(plain, compress)
}

// PutBlob stores the blob with the given ID and returns the stored size.
func (v *Vault) PutBlob(ctx context.Context, id ID, plain []byte) (int, error) {
	sealed, release, err := v.codec.sealBlob(plain)
	if err != nil {
		return 0, err
	}
	defer release()
	if !v.Encrypted() {
		// A plain blob is stored as is, and its ID is its SHA-256.
		ctx = store.WithDigest(ctx, sealed, id)
	}
	if err := v.store.Put(ctx, BlobKey(id), sealed); err != nil {
		return 0, err
	}
	return len(sealed), nil
}

// GetBlob reads a blob and checks that its content matches its ID.
func (v *Vault) GetBlob(ctx context.Context, id ID) ([]byte, error) {
	return v.getVerified(ctx, BlobKey(id), id, false)
}

// ReadBlob reads and decrypts a blob without checking its content against
// its ID, for callers that verify what they assemble another way (restore
// checks every file's SHA-256, and age authenticates encrypted blobs). It
// saves hashing every byte twice. The plaintext is in a recycled buffer:
// call release once it is no longer used (a restore reads gigabytes, and
// fresh buffers would each be cleared and collected).
func (v *Vault) ReadBlob(ctx context.Context, id ID) (plain []byte, release func(), err error) {
	key := BlobKey(id)
	stored := v.readBuf()
	if err := store.ReadInto(ctx, v.store, key, stored); err != nil {
		v.reads.Put(stored)
		return nil, nil, err
	}
	if !v.Encrypted() {
		return stored.Bytes(), func() { v.reads.Put(stored) }, nil
	}
	out := v.readBuf()
	err = v.codec.openBlobTo(stored.Bytes(), out)
	v.reads.Put(stored)
	var le *lockedError
	switch {
	case errors.As(err, &le):
		err = le.err
	case err != nil:
		err = &CorruptError{Key: key, Err: err}
	}
	if err != nil {
		v.reads.Put(out)
		return nil, nil, err
	}
	return out.Bytes(), func() { v.reads.Put(out) }, nil
}

func (v *Vault) readBuf() *bytes.Buffer {
	if b, ok := v.reads.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (v *Vault) getVerified(ctx context.Context, key string, id ID, compressed bool) ([]byte, error) {
	stored, err := store.ReadAll(ctx, v.store, key)
	if err != nil {
		return nil, err
	}
	plain, err := v.openStored(key, stored, compressed)
	if err != nil {
		return nil, err
	}
	if got := v.hasher.Sum(plain); got != id {
		return nil, &CorruptError{Key: key, Err: errors.New("content does not match its id")}
	}
	return plain, nil
}

// EncodedTree is a tree ready to store.
type EncodedTree struct {
	ID    ID
	Plain []byte
}

// EncodeTree computes a tree's canonical bytes and ID.
func (v *Vault) EncodeTree(t *Tree) (EncodedTree, error) {
	b, err := EncodeTree(t)
	if err != nil {
		return EncodedTree{}, err
	}
	return EncodedTree{ID: v.hasher.Sum(b), Plain: b}, nil
}

// PutTree stores an encoded tree and returns the stored size.
func (v *Vault) PutTree(ctx context.Context, t EncodedTree) (int, error) {
	sealed, err := v.codec.seal(t.Plain, true)
	if err != nil {
		return 0, err
	}
	return len(sealed), v.store.Put(ctx, TreeKey(t.ID), sealed)
}

// GetTree reads and checks a tree.
func (v *Vault) GetTree(ctx context.Context, id ID) (*Tree, error) {
	key := TreeKey(id)
	plain, err := v.getCopied(ctx, key, id, true)
	if err != nil {
		return nil, err
	}
	t, err := DecodeTree(plain)
	if err != nil {
		return nil, &CorruptError{Key: key, Err: err}
	}
	return t, nil
}

// PutSnapshot stores a snapshot and returns its ID.
func (v *Vault) PutSnapshot(ctx context.Context, s *Snapshot) (ID, error) {
	plain, err := encodeSnapshot(s)
	if err != nil {
		return ID{}, err
	}
	id := v.hasher.Sum(plain)
	sealed, err := v.codec.seal(plain, true)
	if err != nil {
		return ID{}, err
	}
	if err := v.store.Put(ctx, SnapshotKey(id), sealed); err != nil {
		return ID{}, err
	}
	// Kept as if read back: listing the snapshots this computer made then
	// needs no passphrase, so a scheduled backup of an encrypted vault
	// with a remembered id-key runs without one.
	if v.copies != nil {
		v.copies.PutCopy(ctx, SnapshotKey(id), plain)
	}
	return id, nil
}

// GetSnapshot reads one snapshot.
func (v *Vault) GetSnapshot(ctx context.Context, id ID) (*Snapshot, error) {
	key := SnapshotKey(id)
	plain, err := v.getCopied(ctx, key, id, true)
	if err != nil {
		return nil, err
	}
	s, err := decodeSnapshot(plain)
	if err != nil {
		return nil, &CorruptError{Key: key, Err: err}
	}
	return s, nil
}

// DeleteSnapshot removes a snapshot (its data stays until pruned).
func (v *Vault) DeleteSnapshot(ctx context.Context, id ID) error {
	return v.store.Delete(ctx, SnapshotKey(id))
}

// ListIDs yields the IDs of stored objects under a prefix ("blobs/" or
// "trees/") with their stored size. Only objects at the key the format
// gives their ID (prefix<xx>/<id>, see BlobKey) are yielded; others, such
// as an ID in uppercase or in the wrong <xx> folder, are skipped: callers
// take a yielded ID to mean that BlobKey(id) or TreeKey(id) exists, and a
// backup would not store again a blob it believes stored.
func (v *Vault) ListIDs(ctx context.Context, prefix string, fn func(ID, int64) error) error {
	return v.ListObjects(ctx, prefix, func(id ID, info store.Info) error { return fn(id, info.Size) })
}

// ListObjects is ListIDs with each object's listing.
func (v *Vault) ListObjects(ctx context.Context, prefix string, fn func(ID, store.Info) error) error {
	for info, err := range v.store.List(ctx, prefix) {
		if err != nil {
			return err
		}
		i := strings.LastIndexByte(info.Key, '/')
		id, err := ParseID(info.Key[i+1:])
		if err != nil {
			continue
		}
		if s := id.String(); info.Key != prefix+s[:2]+"/"+s {
			continue
		}
		if err := fn(id, info); err != nil {
			return err
		}
	}
	return nil
}

// IsVaultObject reports whether a key belongs to the vault format.
func IsVaultObject(key string) bool {
	for _, p := range []string{"blobs/", "trees/", "snapshots/", KeysPrefix, "log/", "locks/", PrunesPrefix} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return key == ConfigKey || key == FormatKey
}
