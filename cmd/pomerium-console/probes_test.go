package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"

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
	h := probes(st, up)
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
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz once both listen: %d %q", code, body)
	}
}
