package snapdiff

import (
	"slices"
	"testing"

	"github.com/tunesafe/tunesafe/internal/vault"
)

// A track's audio of one chunk, named directly by an entry written before
// such audio went behind a list, and named through a list of one line by a
// later entry, is the same audio: a tag edit across that change is Tags,
// in both directions, in plain and encrypted vaults; other audio, or audio
// runs in another order, is Content. Only the IDs are compared: the lists
// are not read (the trees here hold no blobs).
func TestSingleChunkListAcrossVersions(t *testing.T) {
	for _, key := range [][]byte{nil, []byte("an id-key of an encrypted vault")} {
		ts := newTrees()
		ts.hasher = vault.NewHasher(key)
		listOf := func(audio ...string) vault.ID {
			ids := make([]vault.ID, len(audio))
			for i, a := range audio {
				ids[i] = id(a)
			}
			return ts.hasher.Sum(vault.EncodeList(ids))
		}
		// entry is a track of the blobs named, the ones in lists (one line
		// each, unless several) at the positions lists.
		entry := func(content string, blobs []vault.ID, lists ...int) vault.Node {
			n := plain("t.mp3", content)
			n.Blobs, n.Lists = blobs, lists
			return n
		}
		direct := entry("old tag+audio", []vault.ID{id("old tag"), id("audio"), id("padding")})
		listed := entry("new tag+audio", []vault.ID{id("new tag"), listOf("audio"), id("padding")}, 1)
		other := entry("new tag+other", []vault.ID{id("new tag"), listOf("other audio"), id("padding")}, 1)
		longOld := entry("old tag+long", []vault.ID{id("old tag"), listOf("long1", "long2"), id("audio")}, 1)
		longNew := entry("new tag+long", []vault.ID{id("new tag"), listOf("long1", "long2"), listOf("audio")}, 1, 2)
		swapped := entry("new tag+swapped", []vault.ID{id("new tag"), listOf("audio"), listOf("long1", "long2")}, 1, 2)

		for _, c := range []struct {
			name          string
			before, after vault.Node
			want          What
		}{
			{"direct to listed", direct, listed, Tags},
			{"listed to direct", listed, direct, Tags},
			{"direct to other audio", direct, other, Content},
			{"other audio to direct", other, direct, Content},
			{"long and short runs", longOld, longNew, Tags},
			{"long and short runs back", longNew, longOld, Tags},
			{"runs in another order", longOld, swapped, Content},
			{"one list each", listed, other, Content},
		} {
			a, b := ts.put(t, c.before), ts.put(t, c.after)
			got := collect(t, ts, a, b)
			if want := []string{"modified t.mp3 " + string(c.want)}; !slices.Equal(got, want) {
				t.Errorf("key %q, %s: got %v, want %v", key, c.name, got, want)
			}
		}
	}
}
