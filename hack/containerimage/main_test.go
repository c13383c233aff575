package containerimage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pomerium-console/pomerium-console/hack/containerimage"
)

// The package's tests share one build (two platforms, a minute or more on
// two cores with a warm Go build cache is mostly linking); only the
// reproducibility test builds again.
var (
	// scratch holds the artifacts of the package's builds.
	scratch string
	shared  struct {
		once      sync.Once
		img       *containerimage.Image
		artifacts *containerimage.Artifacts
		err       error
	}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pomerium-console-image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// testSpec is the spec of every build of the package. It differs from
// `make image` in one way: no VCS stamp in the binary (-buildvcs=false), so
// that a commit made to the checkout between two builds of a test run
// (other work goes on in it) does not change the digest. The version, time
// and revision are fixed.
func testSpec(t *testing.T) containerimage.Spec {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return containerimage.Spec{
		ModuleDir: root,
		Version:   "v0.0.0-imagetest",
		Revision:  "0123456789abcdef0123456789abcdef01234567",
		Source:    "https://github.com/pomerium-console/pomerium-console",
		Licenses:  "NOASSERTION",
		Created:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		CABundle:  "/etc/ssl/certs/ca-certificates.crt",
		GoEnv:     []string{"GOFLAGS=-buildvcs=false"},
	}
}

// build builds the image for spec and writes it under a new directory of
// the package's scratch space.
func build(t *testing.T, spec containerimage.Spec, name string) (*containerimage.Image, *containerimage.Artifacts, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	img, err := containerimage.Build(ctx, spec)
	if err != nil {
		return nil, nil, err
	}
	built := time.Since(start)
	a, err := containerimage.Write(filepath.Join(scratch, name), img)
	if err != nil {
		return nil, nil, err
	}
	t.Logf("%s: built in %s, written in %s", name, built.Round(100*time.Millisecond), (time.Since(start) - built).Round(100*time.Millisecond))
	return img, a, nil
}

// sharedImage is the package's one build, made by the first test that asks.
func sharedImage(t *testing.T) (*containerimage.Image, *containerimage.Artifacts) {
	t.Helper()
	shared.once.Do(func() {
		shared.img, shared.artifacts, shared.err = build(t, testSpec(t), "first")
	})
	if shared.err != nil {
		t.Fatalf("build the image: %v", shared.err)
	}
	return shared.img, shared.artifacts
}

// platformImage is the shared build's image for arch.
func platformImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, _ := sharedImage(t)
	for _, p := range img.Images {
		if p.Arch == arch {
			return p.Image
		}
	}
	t.Fatalf("no linux/%s image", arch)
	return nil
}
