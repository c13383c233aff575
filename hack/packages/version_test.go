package main

import (
	"testing"
	"time"
)

func TestPackageVersion(t *testing.T) {
	t.Parallel()
	committed := time.Date(2026, 1, 2, 16, 4, 5, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ describe, want string }{
		{"v1.2.3", "1.2.3"},
		{"v1.2.3-dirty", "1.2.3.dirty"},
		{"v1.2.3-rc.1", "1.2.3~rc.1"},
		{"v1.2.3-4-gabc1234", "1.2.3+4.gabc1234"},
		{"v1.2.3-rc.1-4-gabc1234-dirty", "1.2.3~rc.1+4.gabc1234.dirty"},
		{"9e572e9", "0~20260102150405.g9e572e9"},
		{"9e572e9-dirty", "0~20260102150405.g9e572e9.dirty"},
	} {
		got, err := packageVersion(tc.describe, committed)
		if err != nil || got != tc.want {
			t.Errorf("packageVersion(%q) = %q, %v; want %q", tc.describe, got, err, tc.want)
		}
	}
	for _, bad := range []string{"dev", "", "1.2.3", "vnext", "v1.2.3 ", "xyz1234"} {
		if got, err := packageVersion(bad, committed); err == nil {
			t.Errorf("packageVersion(%q) = %q, want an error", bad, got)
		}
	}
}
