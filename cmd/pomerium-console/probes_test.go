package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// /readyz says ready only once the API and the web console listen: a load
// balancer or a kubelet that sends callers on sooner sends them to a port
// that refuses them. /healthz answers as soon as the process does.
func TestReadyOnceEverySurfaceListens(t *testing.T) {
	st, err := backend.Open(t.Context(), backend.Options{DataDir: t.TempDir(), Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	up := &listeners{want: 2}
	clusters := fixedStates{
		{ID: store.DefaultClusterID, Name: "default", Status: "in sync with store version 3", Ready: true},
		{ID: "7f4c6f0e-3c8a-4e0b-9d55-1f6a3c2b9e10", Name: "eu", Status: "cannot take the writer lease: connection refused"},
	}
	h := probes(st, up, clusters)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	for range 2 {
		if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "do not listen yet") {
			t.Fatalf("/readyz before every surface listens: %d %q", code, body)
		}
		up.bound()
	}
	// A cluster whose databroker does not answer is reported, and does
	// not make the console unready.
	code, body := get("/readyz")
	want := "ok\n[+]cluster default (" + store.DefaultClusterID + "): in sync with store version 3\n" +
		"[-]cluster eu (7f4c6f0e-3c8a-4e0b-9d55-1f6a3c2b9e10): cannot take the writer lease: connection refused\n"
	if code != http.StatusOK || body != want {
		t.Fatalf("/readyz once both listen: %d %q, want 200 %q", code, body, want)
	}
}

// fixedStates reports clusters as given.
type fixedStates []reconcile.ClusterState

func (f fixedStates) States() []reconcile.ClusterState { return f }
