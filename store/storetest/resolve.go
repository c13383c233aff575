package storetest

import (
	"errors"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// testResolveNamespace checks that namespaces are found by id and by path
// of names, and that a path that names nothing says where it stops.
func testResolveNamespace(t *testing.T, f *fixture) {
	s := f.s
	prod := put(f, newNamespace(store.GlobalNamespaceID, "Production")).ID
	eu := put(f, newNamespace(prod, "EU")).ID
	// A sibling whose name contains the other's as a substring must not be
	// taken for it.
	put(f, newNamespace(store.GlobalNamespaceID, "Production Archive"))

	for _, tc := range []struct{ ref, want string }{
		{"", store.GlobalNamespaceID},
		{"Global", store.GlobalNamespaceID},
		{"Global/Production", prod},
		{"Production", prod},
		{"Production/EU", eu},
		{"Global/Production/EU", eu},
		{eu, eu},
	} {
		got, err := store.ResolveNamespace(f.ctx, s, tc.ref)
		if err != nil || got != tc.want {
			t.Errorf("ResolveNamespace(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}

	for _, tc := range []struct {
		ref, want string
		code      error
	}{
		{"Global/Staging", `namespace: "Global/Staging" does not exist: "Global" has no namespace named "Staging"`, store.ErrNotFound},
		{"Production/EU/Paris", `namespace: "Production/EU/Paris" does not exist: "Global/Production/EU" has no namespace named "Paris"`, store.ErrNotFound},
		{"production", `namespace: "production" does not exist: "Global" has no namespace named "production"`, store.ErrNotFound},
		{"Production//EU", `namespace: path: "Production//EU" has an empty segment`, store.ErrInvalid},
		{"00000000-0000-4000-8000-000000000000", `namespace 00000000-0000-4000-8000-000000000000: not found`, store.ErrNotFound},
	} {
		_, err := store.ResolveNamespace(f.ctx, s, tc.ref)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ResolveNamespace(%q): error %v, want %s", tc.ref, err, tc.want)
		}
		if !errors.Is(err, tc.code) {
			t.Errorf("ResolveNamespace(%q): errors.Is(%v, %v) = false", tc.ref, err, tc.code)
		}
	}
}
