package kubetest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// Main starts one environment for a whole test package, stores it in *env,
// runs the tests and stops the environment. Use it from TestMain:
//
//	var env *kubetest.Env
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.Main(m, &env)) }
//
// If the binaries are missing, or the environment does not start, the
// package fails: CI must never pass by running no Kubernetes tests.
func Main(m *testing.M, env **Env) int {
	return MainWithOptions(m, env, Options{})
}

// MainWithOptions is [Main] with options, such as the CRDs to install.
func MainWithOptions(m *testing.M, env **Env, opts Options) int {
	// Bounded so that a wedged start fails the package instead of running
	// into go test's own timeout, whose panic would say nothing about why.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	e, err := StartWithOptions(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		return 1
	}
	*env = e
	code := prepareAndRun(m, e, opts)
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func prepareAndRun(m *testing.M, e *Env, opts Options) int {
	if opts.Prepare == nil {
		return m.Run()
	}
	done, err := opts.Prepare(e)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: prepare: %v\n", err)
		return 1
	}
	defer done()
	return m.Run()
}
