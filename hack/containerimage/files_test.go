package containerimage_test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// entry is what the test checks of a layer's tar header.
type entry struct {
	Name     string
	Type     byte
	Mode     int64
	UID, GID int
}

// wantEntries is every entry of the image, base layer then binary layer:
// nothing else may be in it (no shell, no package manager, no setuid
// helper).
var wantEntries = []entry{
	{"etc/", tar.TypeDir, 0o755, 0, 0},
	{"etc/group", tar.TypeReg, 0o644, 0, 0},
	{"etc/nsswitch.conf", tar.TypeReg, 0o644, 0, 0},
	{"etc/passwd", tar.TypeReg, 0o644, 0, 0},
	{"etc/ssl/", tar.TypeDir, 0o755, 0, 0},
	{"etc/ssl/certs/", tar.TypeDir, 0o755, 0, 0},
	{"etc/ssl/certs/ca-certificates.crt", tar.TypeReg, 0o644, 0, 0},
	{"home/", tar.TypeDir, 0o755, 0, 0},
	{"home/nonroot/", tar.TypeDir, 0o700, 65532, 65532},
	{"root/", tar.TypeDir, 0o700, 0, 0},
	{"tmp/", tar.TypeDir, 0o1777, 0, 0},
	{"var/", tar.TypeDir, 0o755, 0, 0},
	{"var/lib/", tar.TypeDir, 0o755, 0, 0},
	{"var/lib/pomerium-console/", tar.TypeDir, 0o700, 65532, 65532},
	{"pomerium-console", tar.TypeReg, 0o755, 0, 0},
}

// TestFiles checks every entry of both platforms' layers: the exact list,
// fixed times, no setuid or setgid bit, no shell; the users; the CA
// bundle; a static binary for the platform's machine.
func TestFiles(t *testing.T) {
	t.Parallel()
	spec := testSpec(t)
	for _, arch := range []string{"amd64", "arm64"} {
		files := map[string][]byte{}
		var got []entry
		walkImage(t, platformImage(t, arch), func(h *tar.Header, data []byte) {
			got = append(got, entry{h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid})
			files[h.Name] = data
			if !h.ModTime.Equal(spec.Created) {
				t.Errorf("linux/%s %s: mtime %v, want %v", arch, h.Name, h.ModTime, spec.Created)
			}
			if h.Mode&(0o4000|0o2000) != 0 {
				t.Errorf("linux/%s %s: setuid or setgid bit in mode %o", arch, h.Name, h.Mode)
			}
			for _, shell := range []string{"sh", "bash", "ash", "dash", "busybox"} {
				if path.Base(strings.TrimSuffix(h.Name, "/")) == shell {
					t.Errorf("linux/%s holds a shell: %s", arch, h.Name)
				}
			}
		})
		if diff := cmp.Diff(wantEntries, got); diff != "" {
			t.Errorf("linux/%s entries (-want +got):\n%s", arch, diff)
		}
		if p := string(files["etc/passwd"]); !strings.Contains(p, "\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n") {
			t.Errorf("linux/%s /etc/passwd names no user 65532 without a shell:\n%s", arch, p)
		}
		if g := string(files["etc/group"]); !strings.Contains(g, "\nnonroot:x:65532:\n") {
			t.Errorf("linux/%s /etc/group names no group 65532:\n%s", arch, g)
		}
		if !bytes.Contains(files["etc/ssl/certs/ca-certificates.crt"], []byte("-----BEGIN CERTIFICATE-----")) {
			t.Errorf("linux/%s CA bundle holds no certificate", arch)
		}
		if err := checkStatic(files["pomerium-console"], arch); err != nil {
			t.Errorf("linux/%s binary: %v", arch, err)
		}
	}
}

// checkStatic wants a statically linked ELF executable for arch: no
// interpreter and no shared libraries, so the image needs no libc.
func checkStatic(b []byte, arch string) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // in memory
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != machine {
		return fmt.Errorf("machine %v, want %v", f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked: it has an interpreter")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("needs shared libraries %v", libs)
	}
	return nil
}

// walkImage calls fn with every entry of img's layers, base first, and the
// entry's content.
func walkImage(t *testing.T, img v1.Image, fn func(*tar.Header, []byte)) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		eachEntry(t, rc, func(h *tar.Header, r io.Reader) bool {
			data, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			fn(h, data)
			return true
		})
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
