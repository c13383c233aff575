package kubetest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// AssetsEnv names a directory holding kube-apiserver, etcd and kubectl to use
// instead of the ones hack/envtest/install.sh builds. controller-runtime's
// envtest reads the same variable.
const AssetsEnv = "KUBEBUILDER_ASSETS"

// ErrNoAssets means the binaries that envtest runs are not where they should
// be. [Main] fails the package on it: a machine without them must not pass by
// running no Kubernetes tests.
var ErrNoAssets = errors.New("no envtest binaries (run `make envtest`, which builds kube-apiserver, etcd and kubectl into bin/envtest/)")

// assetNames are the binaries envtest runs: etcd and kube-apiserver for the
// control plane, kubectl for [Env.Kubectl].
var assetNames = []string{"kube-apiserver", "etcd", "kubectl"}

// kubernetesGoMod pins the Kubernetes version that install.sh builds. Reading
// it here keeps that version in one place.
const kubernetesGoMod = "hack/envtest/kubernetes/go.mod"

// AssetsDir returns the directory holding kube-apiserver, etcd and kubectl:
// the one KUBEBUILDER_ASSETS names, or else bin/envtest/k8s-VERSION/ under the
// module root, with VERSION the one hack/envtest/kubernetes/go.mod requires.
// The error wraps [ErrNoAssets] when a binary is missing.
func AssetsDir() (string, error) {
	dir := os.Getenv(AssetsEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		version, err := kubernetesVersion(filepath.Join(root, kubernetesGoMod))
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin", "envtest", "k8s-"+strings.TrimPrefix(version, "v"))
	}
	for _, name := range assetNames {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("%w: %s not found in %s", ErrNoAssets, name, dir)
		}
	}
	return dir, nil
}

// moduleRoot walks up from the working directory, which go test sets to the
// package's directory, to the checkout's root. Source paths from the binary
// itself cannot be used: builds with -trimpath have none.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, kubernetesGoMod)); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: no %s in %s or above; set %s", ErrNoAssets, kubernetesGoMod, wd, AssetsEnv)
		}
	}
}

// kubernetesVersion returns the version of k8s.io/kubernetes that the go.mod
// at path requires, e.g. "v1.37.2".
func kubernetesVersion(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("kubernetes version: %w", err)
	}
	defer f.Close() //nolint:errcheck // read only
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		// "k8s.io/kubernetes v1.37.2 // indirect" inside a require block,
		// or the same after "require" on a line of its own.
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(lines.Text()), "require "))
		if len(fields) >= 2 && fields[0] == "k8s.io/kubernetes" {
			return fields[1], nil
		}
	}
	if err := lines.Err(); err != nil {
		return "", fmt.Errorf("kubernetes version: read %s: %w", path, err)
	}
	return "", fmt.Errorf("kubernetes version: %s does not require k8s.io/kubernetes", path)
}
