package containerimage_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/pomerium-console/pomerium-console/hack/containerimage"
)

// TestOCIArchive unpacks the OCI archive and reads it as a layout, as
// `docker load` and `podman load` do: index.json names the multi-arch index
// by the version, and every blob matches its digest.
func TestOCIArchive(t *testing.T) {
	t.Parallel()
	img, a := sharedImage(t)
	dir := t.TempDir()
	untar(t, a.OCIArchive, dir)
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want, err := img.Index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want {
		t.Fatalf("index.json lists %+v, want the index %s alone", m.Manifests, want)
	}
	if diff := cmp.Diff(containerimage.RefAnnotations(testSpec(t).Version), m.Manifests[0].Annotations); diff != "" {
		t.Errorf("index.json annotations (-want +got):\n%s", diff)
	}
	idx, err := top.ImageIndex(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Errorf("OCI archive: %v", err)
	}
}

// TestDockerArchives reads each platform's Docker archive back: tagged with
// the version, holding that platform's config and layers.
func TestDockerArchives(t *testing.T) {
	t.Parallel()
	img, a := sharedImage(t)
	for _, p := range img.Images {
		path := a.DockerArchives[p.Arch]
		var manifest []struct{ RepoTags []string }
		if err := json.Unmarshal(readFromTar(t, path, "manifest.json"), &manifest); err != nil {
			t.Fatal(err)
		}
		if len(manifest) != 1 || !cmp.Equal(manifest[0].RepoTags, []string{"pomerium-console:" + testSpec(t).Version}) {
			t.Errorf("%s: manifest.json %+v, want one image tagged pomerium-console:%s", path, manifest, testSpec(t).Version)
		}
		loaded, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(loaded); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		for _, get := range []func(v1.Image) (v1.Hash, error){v1.Image.ConfigName, diffIDsOf} {
			got, err1 := get(loaded)
			want, err2 := get(p.Image)
			if err := errors.Join(err1, err2); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: %s, want %s", path, got, want)
			}
		}
	}
}

// diffIDsOf hashes an image's layer diff ids into one value to compare.
func diffIDsOf(img v1.Image) (v1.Hash, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	b, err := json.Marshal(cf.RootFS.DiffIDs)
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(b))
	return h, err
}

// TestCranePush pushes the layout and a Docker archive with crane, pinned in
// tools/go.mod, to a registry, and reads back what the registry holds.
func TestCranePush(t *testing.T) {
	t.Parallel()
	img, a := sharedImage(t)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	repo := strings.TrimPrefix(reg.URL, "http://") + "/pomerium-console"
	version := testSpec(t).Version

	want, err := img.Index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got := crane(t, "push", a.Layout, repo+":"+version); got != repo+"@"+want.String() {
		t.Errorf("crane push of the layout answered %q, want %s@%s", got, repo, want)
	}
	if got := crane(t, "digest", repo+":"+version); got != want.String() {
		t.Errorf("the registry holds %s, want %s", got, want)
	}
	for _, p := range img.Images {
		want, err := p.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if got := crane(t, "digest", "--platform", "linux/"+p.Arch, repo+":"+version); got != want.String() {
			t.Errorf("linux/%s in the registry is %s, want %s", p.Arch, got, want)
		}
	}

	crane(t, "push", a.DockerArchives["arm64"], repo+":"+version+"-arm64")
	var cf v1.ConfigFile
	if err := json.Unmarshal([]byte(crane(t, "config", repo+":"+version+"-arm64")), &cf); err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || cf.Config.User != "65532" {
		t.Errorf("pushed Docker archive has architecture %q and user %q, want arm64 and 65532", cf.Architecture, cf.Config.User)
	}
}

// crane runs crane from tools/go.mod and returns its trimmed output.
func crane(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "-modfile=tools/go.mod", "crane"}, args...)...)
	cmd.Dir = testSpec(t).ModuleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("crane %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// untar unpacks the archive at path into dir.
func untar(t *testing.T, path, dir string) {
	t.Helper()
	eachInTar(t, path, func(h *tar.Header, r io.Reader) bool {
		p := filepath.Join(dir, filepath.Clean(h.Name))
		if !filepath.IsLocal(h.Name) {
			t.Fatalf("%s: %s is outside the archive", path, h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return true
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return true
	})
}

// readFromTar returns the file called name in the archive at path.
func readFromTar(t *testing.T, path, name string) []byte {
	t.Helper()
	var found []byte
	eachInTar(t, path, func(h *tar.Header, r io.Reader) bool {
		if h.Name != name {
			return true
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		found = b
		return false
	})
	if found == nil {
		t.Fatalf("%s holds no %s", path, name)
	}
	return found
}

func eachInTar(t *testing.T, path string, fn func(*tar.Header, io.Reader) bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read-only
	eachEntry(t, f, fn)
}

// eachEntry calls fn with every entry of the tar stream r until fn returns
// false.
func eachEntry(t *testing.T, r io.Reader, fn func(*tar.Header, io.Reader) bool) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fn(h, tr) {
			return
		}
	}
}
