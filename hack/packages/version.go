package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// describeRE splits `git describe --tags --always --dirty`: a tag (or, in a
// repository without one, an abbreviated commit), then the commits since the
// tag and the commit, then whether the tree was dirty.
var describeRE = regexp.MustCompile(`^(?:v(\d[0-9A-Za-z.]*(?:-[0-9A-Za-z.]+)*?)(?:-(\d+)-g([0-9a-f]+))?|([0-9a-f]{4,}))(-dirty)?$`)

// packageVersion turns the console's version into one that dpkg and rpm
// order by release and, between releases, by commit time:
//
//	v1.2.3                  1.2.3
//	v1.2.3-rc.1             1.2.3~rc.1             (before 1.2.3)
//	v1.2.3-4-gabc1234       1.2.3+4.gabc1234       (after 1.2.3)
//	abc1234 (no tag yet)    0~20260102150405.gabc1234  (before any release)
//	any of them -dirty      the same with .dirty
func packageVersion(describe string, committed time.Time) (string, error) {
	m := describeRE.FindStringSubmatch(describe)
	if m == nil {
		return "", fmt.Errorf("version %q is neither a vX.Y.Z tag as git describe shows it nor a commit", describe)
	}
	tag, since, commit, bare, dirty := m[1], m[2], m[3], m[4], m[5]
	var v string
	switch {
	case bare != "":
		v = "0~" + committed.UTC().Format("20060102150405") + ".g" + bare
	default:
		// A pre-release sorts before its release in both formats with ~.
		v = strings.Replace(tag, "-", "~", 1)
		if since != "" {
			v += "+" + since + ".g" + commit
		}
	}
	if dirty != "" {
		v += ".dirty"
	}
	return v, nil
}
