package manage

import (
	"slices"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestUpdateKeepsExplicitItDoesNotState: an update whose writer states no
// explicit fields (nil: its message has no presence beyond the object's)
// keeps the stored ones, of a route, the settings and a namespace; one
// that states them, even that there are none (empty), replaces them.
func TestUpdateKeepsExplicitItDoesNotState(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	for _, tc := range []struct {
		name                       string
		explicit                   []string
		route, settings, namespace []string
	}{
		{"none", nil, []string{"allow_websockets", "prefix"}, []string{"codec_type"}, []string{"cluster_id"}},
		{"some", []string{"path"}, []string{"path"}, []string{"path"}, []string{"path"}},
		{"empty", []string{}, nil, nil, nil},
	} {
		r := store.Clone(f.route(store.GlobalNamespaceID, tc.name, nil))
		r.Explicit = []string{"allow_websockets", "prefix"}
		r = put(f, r)
		r.Name, r.Explicit = "renamed "+tc.name, tc.explicit
		gotRoute, err := f.app.SetRoute(f.ctx, admin, RouteInput{Route: r})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotRoute.Explicit, tc.route) {
			t.Errorf("%s: route explicit %q, want %q", tc.name, gotRoute.Explicit, tc.route)
		}

		if _, err := f.app.SetSettings(f.ctx, admin, SettingsInput{Spec: &configpb.Settings{}, Explicit: []string{"codec_type"}}); err != nil {
			t.Fatal(err)
		}
		gotSettings, err := f.app.SetSettings(f.ctx, admin, SettingsInput{Spec: &configpb.Settings{}, Explicit: tc.explicit})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotSettings.Explicit, tc.settings) {
			t.Errorf("%s: settings explicit %q, want %q", tc.name, gotSettings.Explicit, tc.settings)
		}

		ns := store.Clone(f.namespace(store.GlobalNamespaceID, tc.name))
		ns.Explicit = []string{"cluster_id"}
		ns = put(f, ns)
		ns.Name, ns.Explicit = "renamed "+tc.name, tc.explicit
		gotNS, err := f.app.SetNamespace(f.ctx, admin, NamespaceInput{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotNS.Explicit, tc.namespace) {
			t.Errorf("%s: namespace explicit %q, want %q", tc.name, gotNS.Explicit, tc.namespace)
		}
	}
}

// TestRedactedHidesExplicitSecrets: a caller who may not read a route's
// secrets does not learn that one was set to "" either.
func TestRedactedHidesExplicitSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := store.Clone(f.route(store.GlobalNamespaceID, "app", nil))
	r.Explicit = []string{"allow_websockets", "kubernetes_service_account_token"}
	r = put(f, r)
	f.grant(store.GlobalNamespaceID, "viewer@example.com", store.RoleViewer)
	got, err := f.app.GetRoute(f.ctx, f.caller("viewer@example.com"), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Explicit, []string{"allow_websockets"}) {
		t.Errorf("a viewer reads explicit %q, want allow_websockets only", got.Explicit)
	}
	got, err = f.app.GetRoute(f.ctx, f.admin(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Explicit, r.Explicit) {
		t.Errorf("an admin reads explicit %q, want %q", got.Explicit, r.Explicit)
	}
}
