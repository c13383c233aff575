// Package kubetest runs a real Kubernetes API server (kube-apiserver and
// etcd, through controller-runtime's envtest) for tests, so that controllers
// and anything else that talks to Kubernetes are tested against the real
// thing rather than a fake client.
//
// The binaries are the ones hack/envtest/install.sh builds into
// bin/envtest/k8s-VERSION/ (`make envtest`), found from the module root, or
// those in the directory KUBEBUILDER_ASSETS names.
//
// One environment per test package is the intended use: starting one takes
// about three seconds and a few hundred megabytes, the machines that run the
// tests have two cores, and tests can isolate themselves with a namespace or
// object names of their own.
//
//	var env *kubetest.Env
//
//	func TestMain(m *testing.M) {
//		os.Exit(kubetest.MainWithOptions(m, &env, kubetest.Options{
//			CRDDirectoryPaths: []string{"../config/crd/bases"},
//		}))
//	}
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		c, err := client.New(env.Config, client.Options{Scheme: scheme})
//		...
//	}
//
// Missing binaries fail the package rather than skip it, so a CI machine
// without them cannot pass by running nothing.
//
// The API server and etcd keep their state in a temporary directory that Stop
// removes. When a test binary dies without calling Stop (a panic, a -timeout,
// Ctrl-C), the next Start in any package kills its orphaned processes and
// removes that directory.
//
// This package must not be imported by production code, and it never touches
// an API server or processes it did not start.
package kubetest
