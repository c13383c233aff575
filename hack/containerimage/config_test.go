package containerimage_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestIndex checks that the index lists one OCI image per platform and
// carries the labels as annotations.
func TestIndex(t *testing.T) {
	t.Parallel()
	img, _ := sharedImage(t)
	m, err := img.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s, want %s", m.MediaType, types.OCIImageIndex)
	}
	var platforms []v1.Platform
	for _, d := range m.Manifests {
		if d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("%s: media type %s, want %s", d.Digest, d.MediaType, types.OCIManifestSchema1)
		}
		if d.ArtifactType != "" {
			t.Errorf("%s: artifactType %q; an image is no artifact", d.Digest, d.ArtifactType)
		}
		platforms = append(platforms, *d.Platform)
	}
	want := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
	if diff := cmp.Diff(want, platforms); diff != "" {
		t.Errorf("index platforms (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantLabels(t), m.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
}

// TestConfig checks what a runtime reads from each platform's config: the
// user, the entrypoint, the environment, the labels, the platform.
func TestConfig(t *testing.T) {
	t.Parallel()
	spec := testSpec(t)
	for _, arch := range []string{"amd64", "arm64"} {
		cf, err := platformImage(t, arch).ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		want := v1.Config{
			User:         "65532",
			Entrypoint:   []string{"/pomerium-console", "serve"},
			Env:          []string{"DATA_DIR=/var/lib/pomerium-console"},
			WorkingDir:   "/",
			ExposedPorts: map[string]struct{}{"8701/tcp": {}, "8702/tcp": {}},
			Labels:       wantLabels(t),
			StopSignal:   "SIGTERM",
		}
		if diff := cmp.Diff(want, cf.Config); diff != "" {
			t.Errorf("linux/%s config (-want +got):\n%s", arch, diff)
		}
		if cf.OS != "linux" || cf.Architecture != arch {
			t.Errorf("linux/%s config is for %s/%s", arch, cf.OS, cf.Architecture)
		}
		if !cf.Created.Time.Equal(spec.Created) {
			t.Errorf("linux/%s created %v, want %v", arch, cf.Created.Time, spec.Created)
		}
		if cf.RootFS.Type != "layers" {
			t.Errorf("linux/%s rootfs type %q, want layers", arch, cf.RootFS.Type)
		}
		if len(cf.History) != 2 || len(cf.RootFS.DiffIDs) != 2 {
			t.Errorf("linux/%s: %d history entries and %d layers, want 2 and 2", arch, len(cf.History), len(cf.RootFS.DiffIDs))
		}
		for _, h := range cf.History {
			if !h.Created.Time.Equal(spec.Created) {
				t.Errorf("linux/%s history %q created %v, want %v", arch, h.CreatedBy, h.Created.Time, spec.Created)
			}
		}
	}
}

// TestBaseLayerShared checks that both platforms share the base layer, so
// a registry or a host that pulls both stores it once.
func TestBaseLayerShared(t *testing.T) {
	t.Parallel()
	var bases []v1.Hash
	for _, arch := range []string{"amd64", "arm64"} {
		layers, err := platformImage(t, arch).Layers()
		if err != nil {
			t.Fatal(err)
		}
		d, err := layers[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		bases = append(bases, d)
	}
	if bases[0] != bases[1] {
		t.Errorf("base layers differ: amd64 %s, arm64 %s", bases[0], bases[1])
	}
}

func wantLabels(t *testing.T) map[string]string {
	spec := testSpec(t)
	return map[string]string{
		"org.opencontainers.image.title":       "pomerium-console",
		"org.opencontainers.image.description": "Management plane for the Pomerium identity-aware proxy, wire-compatible with the Pomerium Enterprise Console",
		"org.opencontainers.image.version":     spec.Version,
		"org.opencontainers.image.source":      "https://github.com/pomerium-console/pomerium-console",
		"org.opencontainers.image.licenses":    "NOASSERTION",
		"org.opencontainers.image.created":     "2026-01-02T03:04:05Z",
		"org.opencontainers.image.revision":    spec.Revision,
	}
}
