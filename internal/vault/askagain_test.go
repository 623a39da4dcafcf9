package vault

import (
	"context"
	"errors"
	"testing"
)

// typed returns a passphrase function that gives each of answers in turn
// (the last one again once they run out), and counts its calls.
func typed(answers ...string) (func() (string, error), *int) {
	n := 0
	return func() (string, error) {
		i := min(n, len(answers)-1)
		n++
		return answers[i], nil
	}, &n
}

// A person who mistypes the passphrase at a prompt is asked again while
// AskAgain allows, when the vault is opened and when a vault opened with a
// remembered id-key first needs its keys; without AskAgain, the first
// wrong passphrase is the answer.
func TestAskAgainAfterWrongPassphrase(t *testing.T) {
	ctx := context.Background()
	s, full := initVault(t, true)
	data := []byte("a track")
	id := full.Hasher().Sum(data)
	if _, err := full.PutBlob(ctx, id, data); err != nil {
		t.Fatal(err)
	}
	upTo := func(max int, asked *[]int) func(int) bool {
		return func(tries int) bool {
			*asked = append(*asked, tries)
			return tries < max
		}
	}

	p, calls := typed("pass phrsae", "pass phrase")
	var asked []int
	if _, err := OpenWith(ctx, s, OpenOptions{Passphrase: p, AskAgain: upTo(3, &asked)}); err != nil {
		t.Fatalf("the second try was right: %v", err)
	}
	if *calls != 2 || len(asked) != 1 || asked[0] != 1 {
		t.Fatalf("passphrase asked %d times, AskAgain called with %v; want 2 and [1]", *calls, asked)
	}

	p, calls = typed("wrong", "wrong again", "still wrong", "pass phrase")
	asked = nil
	if _, err := OpenWith(ctx, s, OpenOptions{Passphrase: p, AskAgain: upTo(3, &asked)}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("three wrong tries: %v, want ErrWrongPassphrase", err)
	}
	if *calls != 3 {
		t.Fatalf("passphrase asked %d times, want 3", *calls)
	}

	p, calls = typed("wrong", "pass phrase")
	if _, err := OpenWith(ctx, s, OpenOptions{Passphrase: p}); !errors.Is(err, ErrWrongPassphrase) || *calls != 1 {
		t.Fatalf("without AskAgain: %v after %d calls, want ErrWrongPassphrase after 1", err, *calls)
	}

	p, calls = typed("wrong", "pass phrase")
	asked = nil
	v, err := OpenWith(ctx, s, OpenOptions{Passphrase: p, AskAgain: upTo(3, &asked),
		RememberedIDKey: func(string) []byte { return full.Keys().IDKey }})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.GetBlob(ctx, id); err != nil || string(got) != string(data) {
		t.Fatalf("read after a second try: %q, %v", got, err)
	}
	if *calls != 2 {
		t.Fatalf("passphrase asked %d times on first need, want 2", *calls)
	}
}
