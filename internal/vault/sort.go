package vault

import "sort"

func sortSnapshots(s []SnapshotRef) {
	sort.SliceStable(s, func(i, j int) bool {
		if !s[i].Time.Equal(s[j].Time) {
			return s[i].Time.Before(s[j].Time)
		}
		return s[i].ID.String() < s[j].ID.String()
	})
}
