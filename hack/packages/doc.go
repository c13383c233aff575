// Command packages builds the console's .deb and .rpm packages (make
// packages): for each architecture it cross-compiles the binary without cgo
// and packs it with the files config/packaging/nfpm.yaml lists, through nfpm
// used as a library. nfpm is pinned by this directory's go.mod, a module of
// its own so that its dependencies never enter the console's build list.
//
// Packages are reproducible: file times are the commit's time (or
// $SOURCE_DATE_EPOCH), the build host recorded in the .rpm is fixed, and the
// binary is built with -trimpath. The package version follows the console's
// (see packageVersion).
//
//	go -C hack/packages run . -repo "$PWD" -version "$(git describe --tags --always --dirty)" -out "$PWD/dist"
//
// It must not do anything but build: installing and checking the packages
// is the job of config/packaging's tests.
package main
