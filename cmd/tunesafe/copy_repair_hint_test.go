package main

import (
	"strings"
	"testing"

	"github.com/tunesafe/tunesafe/internal/vaultcopy"
)

// The repair the copy names for objects only the replica holds reaches
// the vault as the copy did: with its --vault and --endpoint, and the
// replica's own profile and endpoint.
func TestInReplicaOnlyRepairCommand(t *testing.T) {
	a := &app{vaultFlag: "s3://music/vault", endpoint: "https://minio.home.lan:9000"}
	s := &session{loc: "s3://music/vault"}
	tgt := copyTarget{To: "s3://offsite/vault", Profile: "b2", Endpoint: "https://s3.eu-central-003.backblazeb2.com"}
	got := a.inReplicaOnly(s, tgt, []vaultcopy.Problem{{Key: "blobs/ab/ab01", Kind: "missing"}})
	want := "run 'tunesafe repair --vault s3://music/vault --endpoint https://minio.home.lan:9000 --from s3://offsite/vault --from-profile b2 --from-endpoint https://s3.eu-central-003.backblazeb2.com' to put it back"
	if !strings.HasSuffix(got, want) {
		t.Fatalf("warning:\n%s\nwant it to end with:\n%s", got, want)
	}
}
