package containerimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The user the console runs as, and the paths the image lays out for it.
const (
	// UID and GID of the non-root user "nonroot", the same ids distroless
	// images use, so that a securityContext written for them fits.
	UID = 65532
	GID = 65532
	// User is the image's USER: numeric, so that Kubernetes can check
	// runAsNonRoot without reading /etc/passwd.
	User = "65532"
	// BinaryPath is where the console binary lies in the image.
	BinaryPath = "/pomerium-console"
	// DataDir is the embedded store's directory, owned by the user; the
	// image sets DATA_DIR to it.
	DataDir = "/var/lib/pomerium-console"
	// CABundlePath is where the CA bundle lies in the image: the first
	// path Go's crypto/x509 reads on Linux.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// file is one entry of a layer: a directory, or a regular file with data.
type file struct {
	path     string // absolute path in the image
	dir      bool
	mode     int64 // permission bits, plus the sticky bit for /tmp
	uid, gid int
	data     []byte
}

func dir(path string, mode int64) file { return file{path: path, dir: true, mode: mode} }

func owned(f file) file {
	f.uid, f.gid = UID, GID
	return f
}

func regular(path string, mode int64, data []byte) file {
	return file{path: path, mode: mode, data: data}
}

// passwd and group name root and the console's user. Neither has a shell:
// the image holds none, and nothing should log in.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\n" +
		"nonroot:x:65532:\n"
	// nsswitch.conf makes Go's resolver read /etc/hosts (Kubernetes
	// hostAliases, Docker --add-host) before asking DNS, as glibc would.
	nsswitch = "hosts: files dns\n"
)

// baseFiles is everything of the image but the binary: it depends on no
// platform, so both platforms share the layer.
func baseFiles(caBundle []byte) []file {
	return []file{
		dir("/etc", 0o755),
		regular("/etc/group", 0o644, []byte(group)),
		regular("/etc/nsswitch.conf", 0o644, []byte(nsswitch)),
		regular("/etc/passwd", 0o644, []byte(passwd)),
		dir("/etc/ssl", 0o755),
		dir("/etc/ssl/certs", 0o755),
		regular(CABundlePath, 0o644, caBundle),
		dir("/home", 0o755),
		owned(dir("/home/nonroot", 0o700)),
		dir("/root", 0o700),
		dir("/tmp", 0o1777),
		dir("/var", 0o755),
		dir("/var/lib", 0o755),
		owned(dir(DataDir, 0o700)),
	}
}

// binaryFiles is the layer of one platform: the console binary alone.
func binaryFiles(binary []byte) []file {
	return []file{regular(BinaryPath, 0o755, binary)}
}

// layerTar writes files as an uncompressed tar stream whose bytes depend on
// nothing but files and mtime: entries sorted by path, every time set to
// mtime, owners by number only, the USTAR format throughout.
func layerTar(files []file, mtime time.Time) ([]byte, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.path, b.path) })
	mtime = mtime.UTC().Truncate(time.Second)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, f := range files {
		if i > 0 && files[i-1].path == f.path {
			return nil, fmt.Errorf("layer: %s listed twice", f.path)
		}
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(f.path, "/"),
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.gid,
			ModTime: mtime,
			Format:  tar.FormatUSTAR,
		}
		if f.dir {
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", f.path, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("layer: %s: %w", f.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return buf.Bytes(), nil
}
