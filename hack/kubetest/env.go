package kubetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/pomerium-console/pomerium-console/hack/internal/owner"
)

// defaultStartTimeout bounds a start whose context has no deadline. envtest's
// own default of 20 s is too short on two cores while other test packages
// compile and run beside this one.
const defaultStartTimeout = time.Minute

// Options tune an environment started by [StartWithOptions].
type Options struct {
	// CRDDirectoryPaths are directories or files of CustomResourceDefinition
	// manifests to install before Start returns, e.g. "../../config/crd/bases"
	// relative to the test package. A path that does not exist is an error,
	// so that a moved directory cannot leave a package testing no CRDs.
	CRDDirectoryPaths []string
	// Prepare, when set, runs in MainWithOptions once the environment is
	// up and before the tests: what the whole test package shares (a
	// store, a manager). The function it returns runs after the tests.
	Prepare func(*Env) (func(), error)
}

// Env is a running kube-apiserver and etcd. Its methods are safe for
// concurrent use.
type Env struct {
	// Config reaches the API server as a member of system:masters.
	Config *rest.Config

	env        *envtest.Environment
	dir        string // holds the etcd data, certificates, logs and kubeconfig
	kubeconfig string
	stop       func() error
}

// Start starts an environment with default [Options].
func Start(ctx context.Context) (*Env, error) {
	return StartWithOptions(ctx, Options{})
}

// StartWithOptions starts etcd and kube-apiserver and installs the CRDs that
// opts name. It returns once the API server serves the default namespace and
// every CRD is established. The error wraps [ErrNoAssets] when the binaries
// are missing.
//
// envtest cannot be interrupted while it starts, so ctx only bounds how long
// it may take, through its deadline.
func StartWithOptions(ctx context.Context, opts Options) (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	sweepStale()
	dir, err := os.MkdirTemp("", envDirPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	if err := owner.Write(dir); err != nil {
		return nil, withRemoved(err, dir)
	}
	e, err := start(ctx, assets, dir, opts)
	if err != nil {
		return nil, withRemoved(err, dir)
	}
	return e, nil
}

func start(ctx context.Context, assets, dir string, opts Options) (*Env, error) {
	timeout := defaultStartTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	deadline := time.Now().Add(timeout)
	etcdLog, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	defer etcdLog.Close() //nolint:errcheck // the child has its own descriptor
	apiLogPath := filepath.Join(dir, "kube-apiserver.log")
	apiLog, err := os.Create(apiLogPath)
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	defer apiLog.Close() //nolint:errcheck // the child has its own descriptor

	te := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        opts.CRDDirectoryPaths,
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: timeout,
	}
	// Both directories under ours put dir into each process's command line,
	// which is how sweepStale recognises the processes of a dead test binary.
	te.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(dir, "etcd"), Out: etcdLog, Err: etcdLog}
	// Test data is thrown away, so waiting for the disk on every write would
	// only slow the tests down.
	te.ControlPlane.Etcd.Configure().Set("unsafe-no-fsync", "true")
	api := te.ControlPlane.GetAPIServer()
	api.CertDir = filepath.Join(dir, "apiserver")
	api.Out, api.Err = apiLog, apiLog
	for _, sub := range []string{te.ControlPlane.Etcd.DataDir, api.CertDir} {
		if err := os.Mkdir(sub, 0o700); err != nil {
			return nil, fmt.Errorf("start envtest: %w", err)
		}
	}

	cfg, err := te.Start()
	if err != nil {
		// envtest starts again on failure and stops what it started, except
		// when the CRDs fail to install after the control plane came up.
		stopErr := te.Stop()
		return nil, errors.Join(
			fmt.Errorf("start envtest from %s: %w\nkube-apiserver log:\n%s", assets, err, logTail(apiLogPath)),
			stopErr)
	}
	e := &Env{Config: cfg, env: te, dir: dir, kubeconfig: filepath.Join(dir, "kubeconfig")}
	e.stop = sync.OnceValue(e.doStop)
	if err := waitForDiscovery(cfg, te.CRDs, deadline); err != nil {
		return nil, errors.Join(err, te.Stop())
	}
	if err := os.WriteFile(e.kubeconfig, te.KubeConfig, 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("write kubeconfig: %w", err), te.Stop())
	}
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(fmt.Errorf("start envtest: %w", err), te.Stop())
	}
	return e, nil
}

// waitForDiscovery waits until the API server's aggregated discovery, which
// controller-runtime's REST mapper reads, lists every kind of crds. envtest
// waits for each group version's own discovery document, which the API
// server updates before the aggregated one: a client made right after the
// start could otherwise be told that a kind does not exist.
func waitForDiscovery(cfg *rest.Config, crds []*apiextensionsv1.CustomResourceDefinition, deadline time.Time) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("start envtest: discovery: %w", err)
	}
	var missing []string
	for {
		// A group that fails, or discovery as a whole, is asked again
		// until the deadline.
		_, lists, err := dc.ServerGroupsAndResources()
		served := map[string]bool{}
		for _, l := range lists {
			for _, r := range l.APIResources {
				served[l.GroupVersion+"/"+r.Kind] = true
			}
		}
		missing = missing[:0]
		for _, crd := range crds {
			for _, v := range crd.Spec.Versions {
				if gvk := crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Kind; v.Served && !served[gvk] {
					missing = append(missing, gvk)
				}
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("start envtest: discovery does not list %v (last error: %v)", missing, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the API server and etcd and removes their data. Calling it again
// returns the first call's result.
func (e *Env) Stop() error {
	return e.stop()
}

func (e *Env) doStop() error {
	err := e.env.Stop()
	if err != nil {
		err = fmt.Errorf("stop envtest: %w", err)
	}
	return withRemoved(err, e.dir)
}

// KubectlPath is the kubectl built with the API server, of the same version.
func (e *Env) KubectlPath() string {
	return e.env.ControlPlane.KubectlPath
}

// KubeconfigPath is a kubeconfig file that reaches the API server with the
// identity of [Env.Config]. It lasts until Stop.
func (e *Env) KubeconfigPath() string {
	return e.kubeconfig
}

// Kubectl prepares kubectl with args against this API server, as a
// walkthrough would run it:
//
//	out, err := env.Kubectl(ctx, "apply", "-f", "config/samples/").CombinedOutput()
func (e *Env) Kubectl(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, e.KubectlPath(), append([]string{"--kubeconfig", e.kubeconfig}, args...)...)
}

// withRemoved removes dir and returns err, with the removal's error joined.
func withRemoved(err error, dir string) error {
	if rmErr := os.RemoveAll(dir); rmErr != nil {
		return errors.Join(err, fmt.Errorf("remove %s: %w", dir, rmErr))
	}
	return err
}

// logTail is the end of a log file, where a process that failed to start
// says why.
func logTail(path string) string {
	const max = 4096
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
