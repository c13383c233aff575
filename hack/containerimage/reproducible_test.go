package containerimage_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReproducible builds the image a second time, binaries included, and
// wants the same index digest and byte-identical artifacts: the layout's
// every blob, the OCI archive and the Docker archives.
func TestReproducible(t *testing.T) {
	t.Parallel()
	first, firstArtifacts := sharedImage(t)
	second, secondArtifacts, err := build(t, testSpec(t), "second")
	if err != nil {
		t.Fatalf("second build: %v", err)
	}
	d1, err := first.Index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := second.Index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("index digest of the first build %s, of the second %s", d1, d2)
	if d1 != d2 {
		t.Errorf("index digests differ: %s, then %s", d1, d2)
	}
	if diff := cmp.Diff(fileHashes(t, filepath.Dir(firstArtifacts.Layout)), fileHashes(t, filepath.Dir(secondArtifacts.Layout))); diff != "" {
		t.Errorf("artifacts differ between two builds (-first +second):\n%s", diff)
	}
}

// fileHashes maps every file under dir to its SHA-256.
func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	hashes := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close() //nolint:errcheck // read-only
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hashes[rel] = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}
