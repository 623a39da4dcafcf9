package library

import "testing"

func TestFold(t *testing.T) {
	same := [][]string{
		{"Beyoncé", "Beyonce\u0301", "BEYONCÉ", "  beyoncé\t", "BEYONCE\u0301"},
		{"Sigur Rós", "sigur  ro\u0301s", "SIGUR\u00a0RÓS"},
		{"iTunes\u00a0U", "itunes u", "iTunes\u200b U"},
		{"90’s Music", "90's music", "90‘s MUSIC"},
		{"I Am... Sasha Fierce", "I Am… Sasha Fierce"},
		{"Jay‐Z", "Jay-Z", "JAY–Z"},
		{"Die Ärzte", "die a\u0308rzte"},
		{"Straße", "STRASSE", "strasse"},
		{"Ǻngström", "A\u030a\u0301ngstro\u0308m"}, // two marks in canonical order
		{"ΣΊΣΥΦΟΣ", "σίσυφος", "σίσυφοσ"},
		{"Ёлка", "ёлка", "е\u0308лка"},
		{"がっこう", "か\u3099っこう"},                         // kana with dakuten, NFD as in macOS file names
		{"한국", "\u1112\u1161\u11ab\u1100\u116e\u11a8"}, // Hangul syllables and jamo
		{"Chrome, Smoke & BBQ: The ZZ Top Box (Box Set)\n\t\t\t\t\t[Remastered]", "chrome, smoke & bbq: the zz top box (box set) [remastered]"},
	}
	for _, group := range same {
		want := Fold(group[0])
		for _, s := range group[1:] {
			if got := Fold(s); got != want {
				t.Errorf("Fold(%q) = %q, want %q (as Fold(%q))", s, got, want, group[0])
			}
		}
	}
	different := [][2]string{
		{"Beyoncé", "Beyonce"}, // accents are kept
		{"alt-J", "alt J"},
		{"Live", "Live!"},
		{"", " x"},
	}
	for _, d := range different {
		if Fold(d[0]) == Fold(d[1]) {
			t.Errorf("Fold(%q) == Fold(%q) == %q", d[0], d[1], Fold(d[0]))
		}
	}
	if got := Fold(" \u00a0\t "); got != "" {
		t.Errorf("Fold(white space) = %q, want empty", got)
	}
}
