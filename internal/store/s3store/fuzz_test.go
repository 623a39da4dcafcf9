package s3store

import (
	"maps"
	"strings"
	"testing"
)

// FuzzParseProfile feeds arbitrary AWS config files to parseProfile. Keys
// come out lowercase and trimmed, values trimmed and without comments; a
// section of another profile added at the end changes nothing, and the
// wanted profile's section added at the end, header comment and all, sets
// what it says ([default] only if no [profile default] overrides it).
func FuzzParseProfile(f *testing.F) {
	for _, c := range []struct{ text, name string }{
		{"[default]\nregion = us-west-2\n\n[profile nas]\nregion = eu-central-1 # the NAS in the cellar\nendpoint_url = http://nas.local:7070\nca_bundle = /home/me/nas-ca.pem\ns3 =\n  addressing_style = path\n", "nas"},
		{"[default]\nregion = us-west-2\n", "default"},
		{"[profile  my   nas ]\r\nRegion=eu-west-1\r\n\tendpoint_url = http://nested\r\n", "my nas"},
		{"; comment\n# comment\n[profile x]\nregion\n=\n = v\nregion = a=b #c # d\n", "x"},
		{"region = outside\n[default\nregion = r\n[sso-session s]\nregion = s\n", "default"},
		{"[profile default]\nregion = r\n", "default"},
		{"[profile default]\nregion = p\n[default]\nregion = d\noutput = json\n", "default"},
		{"[default] # mine\nregion = d\n[profile work] ; theirs\nregion = w\n[profile x] y\nregion = z\n", "work"},
		{"\ufeff[default]\nregion = bom\n", "default"},
	} {
		f.Add(c.text, c.name)
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		keys, err := parseProfile(strings.NewReader(text), name)
		if err != nil {
			if keys != nil {
				t.Fatalf("parseProfile returned keys and error %v", err)
			}
			return
		}
		for k, v := range keys {
			if k != strings.ToLower(strings.TrimSpace(k)) {
				t.Fatalf("key %q is not lowercase and trimmed", k)
			}
			if v != strings.TrimSpace(v) || strings.Contains(v, " #") || strings.Contains(v, "\n") {
				t.Fatalf("key %q: value %q is not trimmed or holds a comment", k, v)
			}
		}

		other := "zz-other"
		if name == other {
			other = "zz-another"
		}
		more, err := parseProfile(strings.NewReader(text+"\n[profile "+other+"]\nregion = elsewhere\n"), name)
		if err != nil || !maps.Equal(keys, more) {
			t.Fatalf("another profile's section changed profile %q from %v to %v (%v)", name, keys, more, err)
		}

		if name == "" || strings.Join(strings.Fields(name), " ") != name || strings.ContainsAny(name, "[]") {
			return // no section header can name this profile
		}
		header := "[profile " + name + "]"
		more, err = parseProfile(strings.NewReader(text+"\n"+header+" # added\nRegion = r1 # here\n"), name)
		if err != nil || more["region"] != "r1" {
			t.Fatalf("profile %q, section %s added: region %q, %v", name, header, more["region"], err)
		}
		if name == "default" {
			more, err = parseProfile(strings.NewReader(text+"\n[default] ; added\nRegion = r1\n"), name)
			if err != nil || more["region"] != "r1" && !maps.Equal(more, keys) {
				t.Fatalf("profile default, section [default] added: %v from %v, %v", more, keys, err)
			}
		}
	})
}
