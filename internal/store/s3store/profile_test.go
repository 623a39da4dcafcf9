package s3store

import (
	"maps"
	"strings"
	"testing"
)

// TestParseProfile pins how the config file's sections are found, as the
// AWS CLI and SDKs find them.
func TestParseProfile(t *testing.T) {
	for _, c := range []struct {
		about, text, name string
		want              map[string]string
	}{
		{"default", "[default]\nregion = d\n[profile work]\nregion = w\n", "default", map[string]string{"region": "d"}},
		{"named", "[default]\nregion = d\n[profile work]\nregion = w\n", "work", map[string]string{"region": "w"}},
		{"header with a # comment", "[default] # mine\nregion = d\n", "default", map[string]string{"region": "d"}},
		{"header with a ; comment", "[profile work] ; theirs\nregion = w\n", "work", map[string]string{"region": "w"}},
		{"comment without a space", "[profile work];theirs\nregion = w\n[default]#mine\nregion = d\n", "work", map[string]string{"region": "w"}},
		{"comment holding brackets", "[profile work] # see [default]\nregion = w\n", "work", map[string]string{"region": "w"}},
		{"comment after a spaced header", "[ profile   work ]\t# tabs\nregion = w\n", "work", map[string]string{"region": "w"}},
		{"a comment ends the previous section", "[profile work]\nregion = w\n[default] # mine\nregion = d\n", "work", map[string]string{"region": "w"}},
		{"text after the header", "[profile work] extra\nregion = w\n", "work", map[string]string{}},
		{"text after the header ends the section", "[profile work]\nregion = w\n[profile work] extra\nregion = x\n", "work", map[string]string{"region": "w"}},
		{"unclosed header", "[default\nregion = d\n", "default", map[string]string{}},
		{"bare name is not a profile of the config file", "[work]\nregion = w\n", "work", map[string]string{}},
		{"profile default", "[profile default]\nregion = p\n", "default", map[string]string{"region": "p"}},
		{"profile default with a comment", "[profile default] ; the same\nregion = p\n", "default", map[string]string{"region": "p"}},
		{"profile default after default wins whole", "[default]\nregion = d\noutput = json\n[profile default]\nregion = p\n", "default", map[string]string{"region": "p"}},
		{"profile default before default wins whole", "[profile default]\nregion = p\n[default]\nregion = d\noutput = json\n", "default", map[string]string{"region": "p"}},
		{"repeated default merges", "[default]\nregion = d\noutput = json\n[default]\nregion = e\n", "default", map[string]string{"region": "e", "output": "json"}},
		{"repeated profile default merges", "[profile default]\nregion = p\n[default]\nregion = d\n[profile default]\noutput = text\n", "default", map[string]string{"region": "p", "output": "text"}},
	} {
		got, err := parseProfile(strings.NewReader(c.text), c.name)
		if err != nil || !maps.Equal(got, c.want) {
			t.Errorf("%s: parseProfile(%q, %q) = %v, %v; want %v", c.about, c.text, c.name, got, err, c.want)
		}
	}
}
