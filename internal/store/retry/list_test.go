package retry

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tunesafe/tunesafe/internal/store"
)

func fillFake(f *fakeStore, n int) []string {
	var keys []string
	for i := range n {
		k := fmt.Sprintf("blobs/%02d", i)
		f.objects[k] = []byte(k)
		keys = append(keys, k)
	}
	return keys
}

func collect(t *testing.T, s store.Store) ([]string, error) {
	t.Helper()
	var keys []string
	for info, err := range s.List(t.Context(), "blobs/") {
		if err != nil {
			return keys, err
		}
		keys = append(keys, info.Key)
	}
	return keys, nil
}

func TestListResume(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failAt    []int
		wantCalls int
		wantNums  []int
	}{
		{"no failure", nil, 1, nil},
		{"fails before anything", []int{0, 0}, 3, []int{1, 2}},
		{"fails midway", []int{3}, 2, []int{1}},
		{"fails after the last", []int{10}, 2, []int{1}},
		// Each restart makes progress, so the backoff starts over.
		{"progress resets backoff", []int{2, 5, 8}, 4, []int{1, 1, 1}},
		{"no progress on restart", []int{4, 2, 4, 7}, 5, []int{1, 2, 3, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c, l := newFake(), newClock(), &retryLog{}
			want := fillFake(f, 10)
			f.listFailAt = tc.failAt
			got, err := collect(t, Wrap(f, testPolicy(c, l)))
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, want) {
				t.Errorf("listed %v\nwant    %v", got, want)
			}
			if f.count("list") != tc.wantCalls {
				t.Errorf("next.List called %d times, want %d", f.count("list"), tc.wantCalls)
			}
			if !equal(l.nums, tc.wantNums) {
				t.Errorf("retry numbers %v, want %v", l.nums, tc.wantNums)
			}
			for _, call := range l.calls {
				if call != "list blobs/" {
					t.Errorf("OnRetry(%q), want \"list blobs/\"", call)
				}
			}
		})
	}
}

func TestListPermanentError(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	fillFake(f, 10)
	f.listFailAt = []int{3}
	f.failErr = store.Permanent(store.KindAccessDenied, errors.New("access denied"))
	got, err := collect(t, Wrap(f, testPolicy(c, l)))
	if err != f.failErr || len(got) != 3 {
		t.Errorf("got %d keys and %v; want 3 keys and the permanent error", len(got), err)
	}
	if f.count("list") != 1 {
		t.Errorf("next.List called %d times, want 1", f.count("list"))
	}
}

func TestListStopEarly(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	fillFake(f, 10)
	f.listFailAt = []int{0}
	n := 0
	for _, err := range Wrap(f, testPolicy(c, l)).List(t.Context(), "blobs/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 || f.count("list") != 2 {
		t.Errorf("consumed %d, next.List called %d times", n, f.count("list"))
	}
}

func TestListGivesUp(t *testing.T) {
	f, c, l := newFake(), newClock(), &retryLog{}
	fillFake(f, 3)
	f.listFailAt = make([]int, 1000) // every call fails at once
	got, err := collect(t, Wrap(f, testPolicy(c, l)))
	if len(got) != 0 || !store.IsTransient(err) {
		t.Errorf("got %v, %v; want nothing and a transient error", got, err)
	}
}
