package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// configPath is nfpm's configuration, relative to the repository root.
const configPath = "config/packaging/nfpm.yaml"

func main() {
	repo := flag.String("repo", ".", "the repository root")
	version := flag.String("version", "", "the console's version, as `git describe --tags --always --dirty` prints it (default: that)")
	arches := flag.String("arch", "amd64,arm64", "comma-separated GOARCH values to build for")
	formats := flag.String("format", "deb,rpm", "comma-separated package formats")
	out := flag.String("out", "dist", "directory the packages are written to")
	flag.Parse()
	if err := run(context.Background(), *repo, *version, strings.Split(*arches, ","), strings.Split(*formats, ","), *out); err != nil {
		fmt.Fprintln(os.Stderr, "packages:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, repo, version string, arches, formats []string, out string) (err error) {
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	// nfpm reads the contents' sources relative to the working directory,
	// and nfpm.yaml names them relative to the repository root.
	if err := os.Chdir(repo); err != nil {
		return err
	}
	if repo, err = os.Getwd(); err != nil {
		return err
	}
	if version == "" {
		if version, err = git(ctx, repo, "describe", "--tags", "--always", "--dirty"); err != nil {
			return err
		}
	}
	mtime, err := sourceDate(ctx, repo)
	if err != nil {
		return err
	}
	pkgVersion, err := packageVersion(version, mtime)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "pomerium-console-packages-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work) //nolint:errcheck // a temporary directory; nothing to do about it
	for _, arch := range arches {
		binary := filepath.Join(work, arch, "pomerium-console")
		start := time.Now()
		if err := build(ctx, repo, arch, version, binary); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "built %s in %s\n", arch, time.Since(start).Round(100*time.Millisecond))
		for _, format := range formats {
			start := time.Now()
			path, err := pack(repo, format, arch, pkgVersion, binary, mtime, out)
			if err != nil {
				return fmt.Errorf("%s %s: %w", format, arch, err)
			}
			fmt.Fprintf(os.Stderr, "packed %s in %s\n", filepath.Base(path), time.Since(start).Round(100*time.Millisecond))
			fmt.Println(path)
		}
	}
	return nil
}

// build cross-compiles the console for linux/arch without cgo, so that the
// binary needs no C library.
func build(ctx context.Context, repo, arch, version, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-s -w -X main.version="+version, "-o", out, "./cmd/pomerium-console")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build for %s: %w\n%s", arch, err, b)
	}
	return nil
}

// pack writes one package of binary and returns its path.
func pack(repo, format, arch, version, binary string, mtime time.Time, out string) (string, error) {
	vars := map[string]string{"ARCH": arch, "VERSION": version, "BINARY": binary}
	config, err := nfpm.ParseFileWithEnvMapping(filepath.Join(repo, configPath), func(k string) string { return vars[k] })
	if err != nil {
		return "", err
	}
	info, err := config.Get(format)
	if err != nil {
		return "", err
	}
	info.MTime = mtime
	info = nfpm.WithDefaults(info)
	packager, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	info.Target = filepath.Join(out, packager.ConventionalFileName(info))
	f, err := os.Create(info.Target)
	if err != nil {
		return "", err
	}
	err = packager.Package(info, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(info.Target) // a partial package; the error says why
		return "", err
	}
	return info.Target, nil
}

// sourceDate is the time written into the packages: $SOURCE_DATE_EPOCH, or
// the time of the commit built.
func sourceDate(ctx context.Context, repo string) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		var err error
		if s, err = git(ctx, repo, "log", "-1", "--format=%ct"); err != nil {
			return time.Time{}, fmt.Errorf("%w (or set SOURCE_DATE_EPOCH)", err)
		}
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("source date %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func git(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(b)), nil
}
