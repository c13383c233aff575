package deploytest_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/hack/kubetest"
)

// Paths from this package to what it installs.
const (
	overlaysDir = "../../config/overlays"
	chartDir    = "../helm/pomerium-console"
	crdBasesDir = "../../config/crd/bases"
	rbacDir     = "../../config/rbac"
	admission   = "../../config/admission/store-finalizer.yaml"
)

var kube *kubetest.Env

func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithOptions(m, &kube, kubetest.Options{
		// The console's own CRDs are not installed here: every install path
		// installs them.
		CRDDirectoryPaths: []string{"testdata/servicemonitor-crd.yaml"},
	}))
}

// installing lets one install run at a time. Each install path creates the
// console's CRDs when they are missing; two creating them at once would fail
// one of them (kubectl apply's create answers AlreadyExists), which is a race
// of the tests, not a fault of either path. The checks after an install run
// in parallel.
var installing sync.Mutex

func newClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(kube.Config, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// decodeObjects splits a stream of YAML documents, as kubectl kustomize and
// Helm print them, into objects; empty documents are skipped.
func decodeObjects(manifests []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	for {
		var raw runtime.RawExtension
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(raw.Raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw.Raw), []byte("null")) {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(raw.Raw); err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
}
