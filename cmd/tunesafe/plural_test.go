package main

import "testing"

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 files"}, {1, "1 file"}, {2, "2 files"}, {-1, "-1 files"}} {
		if got := plural(c.n, "file", "files"); got != c.want {
			t.Errorf("plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := plural(len([]int{7}), "object", "objects"); got != "1 object" {
		t.Errorf("plural(int 1) = %q", got)
	}
}
