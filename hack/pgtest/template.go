package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// templateMu keeps the servers of one test binary from all running initdb at
// once; other test binaries are handled by the atomic rename below.
var templateMu sync.Mutex

// templateDir returns a data directory made by initdb, making it on first use.
// Copying it is several times faster than running initdb for every server,
// and go test runs many package binaries that all want a server.
//
// The directory is keyed by PostgreSQL version, because a data directory only
// works with the binaries that made it, and by uid, because a template made by
// another user is not readable. It lives in the system temp dir rather than
// on tmpfs so that it survives reboots; copying from it only reads, which is
// fast anywhere.
func templateDir(ctx context.Context, bins binaries, own owner) (string, error) {
	templateMu.Lock()
	defer templateMu.Unlock()

	dir := filepath.Join(os.TempDir(), fmt.Sprintf("pomerium-console-pgtest-template-%s-uid%d", bins.version, own.uid))
	// PG_VERSION is checked rather than the directory, so that a directory
	// someone made by hand is not mistaken for a finished template.
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return dir, nil
	}

	staging, err := own.tempDir(os.TempDir(), filepath.Base(dir)+".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(staging) //nolint:errcheck // best effort: a leftover staging dir costs disk space, not correctness
	data := filepath.Join(staging, "data")
	cmd := own.command(ctx, staging, bins.initdb(),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
		// The template is only ever copied, never crashed, so fsyncing it
		// would only slow the first test run down.
		"--no-sync")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("initdb: %w\n%s", err, tail(out, logTailBytes))
	}

	// rename makes the template appear whole or not at all to concurrent test
	// binaries; the loser of a race uses the winner's copy.
	if err := os.Rename(data, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "PG_VERSION")); statErr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("install template %s: %w", dir, err)
	}
	return dir, nil
}
