// Package containerimage builds the console's container image without a
// container engine: a multi-arch OCI image index (linux/amd64 and
// linux/arm64) of two layers, a base (/etc/passwd and /etc/group naming the
// non-root user 65532, the build machine's CA bundle, the data directory
// owned by that user, /tmp) and the statically linked console binary, run
// as that user with ENTRYPOINT ["/pomerium-console", "serve"].
//
// The build is reproducible: given the same source, Go toolchain, CA bundle,
// version and creation time, two builds give byte-identical blobs and so the
// same index digest. Layer entries are sorted and carry fixed owners, modes
// and times; the binaries are built with -trimpath and fixed GOAMD64/GOARM64
// levels.
//
// [Write] stores the result in the forms that the usual clients read: an
// OCI image layout directory (crane push, skopeo copy oci:), the same
// layout as a tar archive (docker load with the containerd image store,
// podman load) and one Docker archive per platform (docker load with the
// classic image store, which cannot choose a platform from an index).
//
// hack/containerimage/build is the command behind `make image`. This
// package is a build tool: the console must not import it, so that
// go-containerregistry never enters the console binary.
package containerimage
