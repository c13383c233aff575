package containerimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Artifacts are the paths Write wrote.
type Artifacts struct {
	// Layout is an OCI image layout directory whose index.json names the
	// multi-arch index, tagged with the version.
	Layout string
	// OCIArchive is Layout as a tar archive.
	OCIArchive string
	// DockerArchives are Docker archives, one per platform, by GOARCH.
	DockerArchives map[string]string
}

// Names of the artifacts inside Write's directory.
const (
	layoutDirName  = "oci"
	ociArchiveName = Repository + ".oci.tar"
)

// DockerArchiveName is the file name of arch's Docker archive.
func DockerArchiveName(arch string) string { return Repository + "-linux-" + arch + ".docker.tar" }

// Write stores img in dir (created if missing), replacing the artifacts of
// an earlier Write and leaving anything else there alone.
func Write(dir string, img *Image) (*Artifacts, error) {
	a := &Artifacts{
		Layout:         filepath.Join(dir, layoutDirName),
		OCIArchive:     filepath.Join(dir, ociArchiveName),
		DockerArchives: map[string]string{},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeLayout(a.Layout, img); err != nil {
		return nil, fmt.Errorf("OCI layout: %w", err)
	}
	if err := tarDirectory(a.OCIArchive, a.Layout, img.Spec.Created); err != nil {
		return nil, fmt.Errorf("OCI archive: %w", err)
	}
	tag, err := name.NewTag(Repository + ":" + img.Spec.Version)
	if err != nil {
		return nil, err
	}
	for _, p := range img.Images {
		path := filepath.Join(dir, DockerArchiveName(p.Arch))
		if err := tarball.WriteToFile(path, tag, p.Image); err != nil {
			return nil, fmt.Errorf("docker archive of linux/%s: %w", p.Arch, err)
		}
		a.DockerArchives[p.Arch] = path
	}
	return a, nil
}

// RefAnnotations name the image in an OCI layout's index.json:
// containerd (and so Docker with the containerd image store) reads the
// full reference from io.containerd.image.name, other clients the tag from
// org.opencontainers.image.ref.name.
func RefAnnotations(version string) map[string]string {
	return map[string]string{
		"io.containerd.image.name":          "docker.io/library/" + Repository + ":" + version,
		"org.opencontainers.image.ref.name": version,
	}
}

// writeLayout writes the layout afresh: appending to an existing one would
// list the image twice.
func writeLayout(path string, img *Image) error {
	if err := os.RemoveAll(path); err != nil {
		return err
	}
	l, err := layout.Write(path, empty.Index)
	if err != nil {
		return err
	}
	return l.AppendIndex(img.Index, layout.WithAnnotations(RefAnnotations(img.Spec.Version)))
}

// tarDirectory archives the tree under root into path with nothing of the
// build machine in it: entries in lexical order, owned by 0:0, modes 0755
// and 0644, every time set to mtime.
func tarDirectory(path, root string, mtime time.Time) (err error) {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(out)
	mtime = mtime.UTC().Truncate(time.Second)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime, Format: tar.FormatUSTAR}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, hdr.Name+"/"
			return tw.WriteHeader(hdr)
		case d.Type().IsRegular():
			return tarFile(tw, hdr, p)
		default:
			return fmt.Errorf("%s: neither a file nor a directory", p)
		}
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func tarFile(tw *tar.Writer, hdr *tar.Header, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // opened for reading only
	info, err := f.Stat()
	if err != nil {
		return err
	}
	hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, info.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// Summary describes what was built, for the build's output.
type Summary struct {
	IndexDigest v1.Hash
	Platforms   []PlatformSummary
}

// PlatformSummary is one platform's manifest digest and sizes.
type PlatformSummary struct {
	Arch           string
	ManifestDigest v1.Hash
	// Compressed and Uncompressed sizes of each layer, base first.
	Compressed, Uncompressed []int64
}

// Summarize reads img's digests and layer sizes.
func Summarize(img *Image) (*Summary, error) {
	d, err := img.Index.Digest()
	if err != nil {
		return nil, err
	}
	s := &Summary{IndexDigest: d}
	for _, p := range img.Images {
		ps := PlatformSummary{Arch: p.Arch}
		if ps.ManifestDigest, err = p.Image.Digest(); err != nil {
			return nil, err
		}
		layers, err := p.Image.Layers()
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			size, err := l.Size()
			if err != nil {
				return nil, err
			}
			n, err := uncompressedSize(l)
			if err != nil {
				return nil, err
			}
			ps.Compressed, ps.Uncompressed = append(ps.Compressed, size), append(ps.Uncompressed, n)
		}
		s.Platforms = append(s.Platforms, ps)
	}
	return s, nil
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close() //nolint:errcheck // read-only
	return io.Copy(io.Discard, rc)
}
