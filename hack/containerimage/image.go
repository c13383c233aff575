package containerimage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Repository is the image's name without a registry: `docker load` and
// `podman load` tag what they load Repository:VERSION.
const Repository = "pomerium-console"

// Platforms are the GOARCH values the image is built for.
var Platforms = []string{"amd64", "arm64"}

// Entrypoint is the image's ENTRYPOINT: arguments given to `docker run` or
// a Kubernetes container's args are flags of serve.
var Entrypoint = []string{BinaryPath, "serve"}

// Spec says what to build.
type Spec struct {
	// ModuleDir is the root of the console's module.
	ModuleDir string
	// Version is both the image's tag and the binary's main.version.
	Version string
	// Revision is the commit built, for the org.opencontainers.image.revision
	// label; empty leaves the label out.
	Revision string
	// Source is the repository's URL (org.opencontainers.image.source).
	Source string
	// Licenses is an SPDX expression (org.opencontainers.image.licenses);
	// NOASSERTION says that none is stated.
	Licenses string
	// Created is the time of every layer entry, the config's creation time
	// and the org.opencontainers.image.created label: SOURCE_DATE_EPOCH.
	Created time.Time
	// CABundle is the PEM file of CA certificates the image trusts, read on
	// the build machine (Debian's ca-certificates package).
	CABundle string
	// Platforms are the GOARCH values to build for; empty means [Platforms].
	Platforms []string
	// GoEnv is added to the environment of `go build`.
	GoEnv []string
}

// Image is a built image: the index and, in the same order as the
// platforms, the image of each.
type Image struct {
	Spec   Spec
	Index  v1.ImageIndex
	Images []PlatformImage
}

// PlatformImage is the image of one platform.
type PlatformImage struct {
	Arch  string
	Image v1.Image
}

// tagPattern is what a registry accepts as a tag.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func (s Spec) check() error {
	var errs []error
	if !tagPattern.MatchString(s.Version) {
		errs = append(errs, fmt.Errorf("version %q is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)", s.Version))
	}
	if s.Source == "" {
		errs = append(errs, errors.New("source is empty"))
	}
	if s.Licenses == "" {
		errs = append(errs, errors.New("licenses is empty: state NOASSERTION when none is known"))
	}
	if s.Created.IsZero() {
		errs = append(errs, errors.New("created is unset"))
	}
	for _, arch := range s.platforms() {
		if arch != "amd64" && arch != "arm64" {
			errs = append(errs, fmt.Errorf("platform linux/%s is not supported", arch))
		}
	}
	return errors.Join(errs...)
}

func (s Spec) platforms() []string {
	if len(s.Platforms) == 0 {
		return Platforms
	}
	return s.Platforms
}

// Build compiles the console for every platform and assembles the image.
// Nothing is written but the binaries, into a temporary directory it
// removes; [Write] stores the result.
func Build(ctx context.Context, spec Spec) (*Image, error) {
	if err := spec.check(); err != nil {
		return nil, fmt.Errorf("image spec: %w", err)
	}
	caBundle, err := readCABundle(spec.CABundle)
	if err != nil {
		return nil, err
	}
	base, err := newLayer(baseFiles(caBundle), spec.Created)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}

	tmp, err := os.MkdirTemp("", "pomerium-console-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) //nolint:errcheck // a temporary directory; nothing to do about it

	// The platforms build side by side: most of a warm build is linking,
	// which uses one core each.
	arches := spec.platforms()
	images := make([]PlatformImage, len(arches))
	g, gctx := errgroup.WithContext(ctx)
	for i, arch := range arches {
		g.Go(func() error {
			binary, err := buildBinary(gctx, spec, arch, tmp)
			if err != nil {
				return err
			}
			img, err := platformImage(spec, arch, base, binary)
			if err != nil {
				return fmt.Errorf("linux/%s image: %w", arch, err)
			}
			images[i] = PlatformImage{Arch: arch, Image: img}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	adds := make([]mutate.IndexAddendum, len(images))
	for i, p := range images {
		adds[i] = mutate.IndexAddendum{Add: indexed{p.Image}, Descriptor: v1.Descriptor{Platform: platform(p.Arch)}}
	}
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	index = mutate.AppendManifests(index, adds...)
	index = mutate.Annotations(index, spec.labels()).(v1.ImageIndex)
	return &Image{Spec: spec, Index: index, Images: images}, nil
}

// indexed is an image as the index lists it: by media type, size and
// digest, without the artifactType go-containerregistry would add. An image
// is no artifact, and containers/image before 5.26 (Debian 12's skopeo and
// Podman) rewrites an index whose descriptors carry the field, changing
// its digest on every copy.
type indexed struct{ v1.Image }

// Descriptor is what go-containerregistry asks an index entry for.
func (i indexed) Descriptor() (*v1.Descriptor, error) {
	var d v1.Descriptor
	var err error
	if d.MediaType, err = i.MediaType(); err != nil {
		return nil, err
	}
	if d.Size, err = i.Size(); err != nil {
		return nil, err
	}
	if d.Digest, err = i.Digest(); err != nil {
		return nil, err
	}
	return &d, nil
}

// readCABundle reads the CA bundle and checks that it holds certificates, so
// that an empty or truncated file does not make an image that trusts
// nobody.
func readCABundle(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA bundle (hack/install-ca-certificates.sh installs Debian's): %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", path)
	}
	return b, nil
}

// newLayer makes an OCI layer of files, compressed once, at gzip's default
// level: what every registry and runtime reads.
func newLayer(files []file, mtime time.Time) (v1.Layer, error) {
	raw, err := layerTar(files, mtime)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithCompressionLevel(gzip.DefaultCompression),
		tarball.WithCompressedCaching,
		tarball.WithMediaType(types.OCILayer),
	)
}

// platform is the index's platform of arch. arm64 carries variant v8, as in
// the official images, which is what GOARM64=v8.0 builds for.
func platform(arch string) *v1.Platform {
	p := &v1.Platform{OS: "linux", Architecture: arch}
	if arch == "arm64" {
		p.Variant = "v8"
	}
	return p
}

// platformImage stacks the base layer and the binary's layer under the
// console's config.
func platformImage(spec Spec, arch string, base v1.Layer, binary []byte) (v1.Image, error) {
	bin, err := newLayer(binaryFiles(binary), spec.Created)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	created := v1.Time{Time: spec.Created.UTC()}
	p := platform(arch)
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: p.Architecture,
		Variant:      p.Variant,
		OS:           p.OS,
		Created:      created,
		Config:       spec.config(),
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "pomerium-console base: /etc/passwd, /etc/group (user 65532), CA bundle, " + DataDir, Comment: "hack/containerimage"}},
		mutate.Addendum{Layer: bin, History: v1.History{Created: created, CreatedBy: "pomerium-console " + spec.Version + " linux/" + arch + " (CGO_ENABLED=0 go build -trimpath)", Comment: "hack/containerimage"}},
	)
}

// config is the runtime configuration of every platform's image.
func (s Spec) config() v1.Config {
	return v1.Config{
		User:       User,
		Entrypoint: Entrypoint,
		// data_dir's default is DataDir too; set here so that `docker
		// inspect` shows where the store lives and the image keeps it should
		// the default change.
		Env:          []string{"DATA_DIR=" + DataDir},
		WorkingDir:   "/",
		ExposedPorts: map[string]struct{}{"8701/tcp": {}, "8702/tcp": {}},
		Labels:       s.labels(),
		StopSignal:   "SIGTERM",
	}
}

// labels are the OCI annotations of the image, set as config labels and on
// the index.
func (s Spec) labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       Repository,
		"org.opencontainers.image.description": "Management plane for the Pomerium identity-aware proxy, wire-compatible with the Pomerium Enterprise Console",
		"org.opencontainers.image.version":     s.Version,
		"org.opencontainers.image.source":      s.Source,
		"org.opencontainers.image.licenses":    s.Licenses,
		"org.opencontainers.image.created":     s.Created.UTC().Format(time.RFC3339),
	}
	if s.Revision != "" {
		l["org.opencontainers.image.revision"] = s.Revision
	}
	return l
}
