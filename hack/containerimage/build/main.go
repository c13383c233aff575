// Command build builds the console's container image (`make image`): it
// compiles the console for linux/amd64 and linux/arm64 and writes the
// multi-arch image as an OCI layout, an OCI archive and one Docker archive
// per platform. See package containerimage.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pomerium-console/pomerium-console/hack/containerimage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "build image:", err)
		os.Exit(1)
	}
}

func run() error {
	var spec containerimage.Spec
	var out, platforms string
	flag.StringVar(&out, "out", "bin/image", "directory to write the artifacts into")
	flag.StringVar(&spec.ModuleDir, "module", ".", "root of the console's module")
	flag.StringVar(&spec.Version, "version", "dev", "image tag and the binary's version")
	flag.StringVar(&spec.Revision, "revision", "", "commit built (org.opencontainers.image.revision); empty leaves it out")
	flag.StringVar(&spec.Source, "source", "https://github.com/pomerium-console/pomerium-console", "repository URL (org.opencontainers.image.source)")
	flag.StringVar(&spec.Licenses, "licenses", "NOASSERTION", "SPDX licence expression (org.opencontainers.image.licenses)")
	flag.StringVar(&spec.CABundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle copied into the image")
	flag.StringVar(&platforms, "platforms", strings.Join(containerimage.Platforms, ","), "comma-separated GOARCH values")
	flag.Parse()
	spec.Platforms = strings.Split(platforms, ",")
	created, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	spec.Created = created

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	img, err := containerimage.Build(ctx, spec)
	if err != nil {
		return err
	}
	artifacts, err := containerimage.Write(out, img)
	if err != nil {
		return err
	}
	summary, err := containerimage.Summarize(img)
	if err != nil {
		return err
	}
	report(spec, summary, artifacts, time.Since(start))
	return nil
}

// sourceDateEpoch is the time the image claims to be made at:
// SOURCE_DATE_EPOCH (seconds since 1970), else the epoch itself, so that a
// build is reproducible whether or not it is set.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	s, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", v)
	}
	return time.Unix(s, 0).UTC(), nil
}

func report(spec containerimage.Spec, s *containerimage.Summary, a *containerimage.Artifacts, took time.Duration) {
	fmt.Printf("%s:%s  index %s  (built in %s)\n", containerimage.Repository, spec.Version, s.IndexDigest, took.Round(100*time.Millisecond))
	for _, p := range s.Platforms {
		fmt.Printf("  linux/%-6s manifest %s  layers (compressed/uncompressed):", p.Arch, p.ManifestDigest)
		for i := range p.Compressed {
			fmt.Printf(" %s/%s", mib(p.Compressed[i]), mib(p.Uncompressed[i]))
		}
		fmt.Println()
	}
	fmt.Printf("  OCI layout    %s   crane push %s REGISTRY/%s:%s\n", a.Layout, a.Layout, containerimage.Repository, spec.Version)
	fmt.Printf("  OCI archive   %s   docker load -i (containerd image store), podman load -i\n", a.OCIArchive)
	for _, arch := range spec.Platforms {
		fmt.Printf("  Docker archive %s   docker load -i (any image store)\n", a.DockerArchives[arch])
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }
