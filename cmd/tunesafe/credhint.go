package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tunesafe/tunesafe/internal/store/s3store"
)

// The hints for refused or missing storage credentials name where the key
// came from, the way the AWS tools look for it (s3store.ConfigFromEnv):
// the environment's keys first, then the profile AWS_PROFILE, then the
// default profile. A user with two setups most often has the wrong one in
// force, and "set AWS_PROFILE" helps no one who has set it.

// credentialsSource says where the storage key came from.
func credentialsSource() string {
	if id := os.Getenv("AWS_ACCESS_KEY_ID"); id != "" {
		return fmt.Sprintf("AWS_ACCESS_KEY_ID=%s, from the environment", id)
	}
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return fmt.Sprintf("AWS profile %s", p)
	}
	return "the default AWS profile"
}

// credentialsHint is the hint for storage credentials that are missing or
// that the storage refused.
func credentialsHint() string {
	id, profile := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_PROFILE")
	profiles := s3store.Profiles()
	switch {
	case id != "":
		h := fmt.Sprintf("the key is AWS_ACCESS_KEY_ID=%s with AWS_SECRET_ACCESS_KEY, from the environment: check both", id)
		if os.Getenv("AWS_SESSION_TOKEN") != "" {
			h += ", and AWS_SESSION_TOKEN (temporary keys expire: get new ones)"
		}
		if profile != "" {
			h += fmt.Sprintf("; they come before AWS_PROFILE=%s: unset them to use the profile", profile)
		}
		return h
	case profile != "" && !slices.Contains(profiles, profile):
		return fmt.Sprintf("AWS_PROFILE=%s names no profile in ~/.aws/credentials or ~/.aws/config%s", profile, profileList(profiles))
	case profile != "":
		return fmt.Sprintf("the key is profile %s's in ~/.aws/credentials (or ~/.aws/config): check its aws_access_key_id and aws_secret_access_key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", profile)
	}
	others := slices.DeleteFunc(profiles, func(p string) bool { return p == "default" })
	h := "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the default profile's keys in ~/.aws/credentials"
	switch len(others) {
	case 0:
	case 1:
		h += fmt.Sprintf("; to use profile %s, set AWS_PROFILE=%s", others[0], others[0])
	default:
		h += fmt.Sprintf("; to use another profile, set AWS_PROFILE%s", profileList(others))
	}
	return h
}

// profileList is ", found: a, b" for the names, or "" for none.
func profileList(names []string) string {
	if len(names) == 0 {
		return ""
	}
	const most = 5
	more := ""
	if len(names) > most {
		names, more = names[:most], fmt.Sprintf(" and %d more", len(names)-most)
	}
	return " (profiles found: " + strings.Join(names, ", ") + more + ")"
}
