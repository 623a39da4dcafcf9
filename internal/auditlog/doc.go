// Package auditlog keeps a tamper-evident log of everything Tunesafe does
// to a vault, so that when an object goes missing Tunesafe can say whether
// the user deleted it (and when, and with which command) or the provider
// lost it, and so that nobody, the provider included, can quietly edit,
// shorten or roll back that history.
//
// # The idea
//
// Every PUT and DELETE is a record: one line of canonical JSON (record.go).
// The records are the leaves of an append-only Merkle tree, hashed as in
// RFC 6962 (Certificate Transparency) with golang.org/x/mod/sumdb/tlog. The
// root hash of the first n records commits to all of them: change one byte
// of one record, drop one, reorder two, and the root changes. A checkpoint
// (checkpoint.go) is the sentence "this log has n records with root R",
// signed with the vault's Ed25519 log key in the C2SP signed-note format
// (golang.org/x/mod/sumdb/note).
//
// Signing is not enough: a provider could replace the whole log with an
// older, correctly signed copy. So each computer remembers the last
// checkpoint it verified, and accepts a newer one only with a consistency
// proof that the new tree contains the old one as a prefix (tlog.ProveTree
// and tlog.CheckTree). A log that is shorter, different, unsigned or edited
// is reported as a *TamperError, never repaired.
//
// # Crashes
//
// A record that is written after its operation can be lost with the
// process; one written only to the vault costs a round trip per operation.
// So a record goes first to a local journal, fsynced before the operation
// is sent (Begin), gets its outcome when the operation returns (Done), and
// reaches the vault in batches (Flush): one immutable entries object, then
// a new checkpoint. A run killed at any instant leaves its records in the
// journal; the next Open that can write to the vault publishes them, asks
// the store what happened to operations whose outcome it never learned,
// and recognises records that were published just before the crash. An
// Open that cannot write (a read-only disk, no signing key) leaves them
// waiting in the journal.
//
// # Using it
//
//	l, err := auditlog.Open(ctx, auditlog.Options{Store: backend, Signer: s, Verifier: v, StateDir: dir})
//	st := auditlog.Wrap(backend, l)          // every Put and Delete is recorded
//	ctx = auditlog.WithReason(ctx, "prune", strings.Join(os.Args, " "))
//	err = st.Delete(ctx, key)                // refused without a reason
//	err = l.Close(ctx)                       // flush and close
//
//	rep, err := auditlog.Audit(ctx, l, backend, auditlog.AuditOptions{Sample: 0.05})
//	rep.WriteText(os.Stdout)
//
// The vault objects, the record encoding, the checkpoint text, the local
// state and how to verify a log by hand with a short Python program are
// specified in docs/FORMAT.md (Appendix: the log).
package auditlog
