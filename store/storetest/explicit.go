package storetest

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// testExplicit: the fields a writer set explicitly to their zero value
// (Explicit of routes, settings and namespaces) come back from every read,
// sorted and once each, beside a spec that is unchanged; a write replaces
// them; the activity log lists them, and those naming a secret among the
// secrets it redacts.
func testExplicit(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "RoundTrip", newEnv, func(t *testing.T, f *fixture) {
		spec := &configpb.Route{From: "https://app.example.com", To: []string{"https://a.internal"}, Description: proto.String("")}
		r := newRoute(store.GlobalNamespaceID, "app", "")
		r.Spec = proto.CloneOf(spec)
		r.Explicit = []string{"pomerium.dashboard.Route:session_recording.enabled", "allow_websockets", "prefix", "allow_websockets"}
		r = put(f, r)
		want := []string{"allow_websockets", "pomerium.dashboard.Route:session_recording.enabled", "prefix"}
		assertEqual(t, "explicit fields written", want, r.Explicit)
		got := get[*store.Route](f, r.ID)
		assertEqual(t, "explicit fields read back", want, got.Explicit)
		assertEqual(t, "spec beside them", spec, got.Spec)
		list, err := f.s.List(f.ctx, store.KindRoute, store.ListQuery{NamespaceID: store.GlobalNamespaceID})
		if err != nil || len(list.Objects) != 1 {
			t.Fatalf("list routes: %+v, %v", list, err)
		}
		assertEqual(t, "explicit fields listed", want, list.Objects[0].(*store.Route).Explicit)

		s := newSettings("")
		s.Explicit = []string{"codec_type", "authorize_service_url"}
		put(f, s)
		ns := newNamespace(store.GlobalNamespaceID, "team")
		ns.Explicit = []string{"cluster_id"}
		ns = put(f, ns)
		state, err := f.s.Load(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "explicit fields of the settings loaded", []string{"authorize_service_url", "codec_type"}, state.Settings.Explicit)
		for _, n := range state.Namespaces {
			if n.ID == ns.ID {
				assertEqual(t, "explicit fields of the namespace loaded", []string{"cluster_id"}, n.Explicit)
			}
		}
		assertEqual(t, "explicit fields of the route loaded", want, state.Routes[0].Explicit)

		got.Explicit = []string{"path"}
		put(f, got)
		assertEqual(t, "explicit fields replaced", []string{"path"}, get[*store.Route](f, r.ID).Explicit)
		got.Explicit = nil
		put(f, got)
		if e := get[*store.Route](f, r.ID).Explicit; e != nil {
			t.Errorf("explicit fields after a write without them: %q, want none", e)
		}
	})
	subtest(t, "SpecEncodingLoaded", newEnv, func(t *testing.T, f *fixture) {
		plain := newRoute(store.GlobalNamespaceID, "plain", "https://plain.example.com")
		plain.Spec.SetRequestHeaders = map[string]string{"b": "2", "a": "1", "c": "3"}
		plain.Explicit = []string{"allow_websockets", "prefix"}
		plain = put(f, plain)
		_, sealed, _, _ := SpecSecrets()
		sealed = put(f, sealed)
		load := func(opts ...store.GetOption) map[string]*store.Route {
			t.Helper()
			routes := map[string]*store.Route{}
			_, err := f.s.LoadEach(f.ctx, func(o store.Object) error {
				if r, ok := o.(*store.Route); ok {
					routes[r.ID] = r
				}
				return nil
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return routes
		}
		routes := load(store.WithSecrets(), store.WithEncodedSpecs())
		got := routes[plain.ID]
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(got.Spec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.SpecEncoding, want) {
			t.Errorf("spec encoding loaded %x, want the spec's deterministic encoding %x", got.SpecEncoding, want)
		}
		assertEqual(t, "explicit fields beside the encoding", []string{"allow_websockets", "prefix"}, got.Explicit)
		if e := routes[sealed.ID].SpecEncoding; e != nil {
			t.Errorf("a route whose spec has sealed secrets loaded with an encoding of %d bytes", len(e))
		}
		if e := store.Clone(got).SpecEncoding; e != nil {
			t.Errorf("a copy of a route keeps its spec's encoding")
		}
		for _, r := range load(store.WithSecrets()) {
			if r.SpecEncoding != nil {
				t.Errorf("route %s loaded with its spec's encoding unasked", r.Name)
			}
		}
		if e := get[*store.Route](f, plain.ID).SpecEncoding; e != nil {
			t.Errorf("a route read with its spec's encoding")
		}
	})
	subtest(t, "NotAPath", newEnv, func(t *testing.T, f *fixture) {
		r := newRoute(store.GlobalNamespaceID, "app", "https://app.example.com")
		for _, bad := range []string{"allow websockets", "", "pomerium.dashboard.Route:", ":prefix", "Route:Prefix", "a:b:c"} {
			r.Explicit = []string{bad}
			f.rejectsPut(r, store.CodeInvalid, "explicit")
		}
		ns := newNamespace(store.GlobalNamespaceID, "team")
		ns.Explicit = []string{""}
		f.rejectsPut(ns, store.CodeInvalid, "explicit")
	})
	subtest(t, "Activity", newEnv, func(t *testing.T, f *fixture) {
		r := newRoute(store.GlobalNamespaceID, "app", "https://app.example.com")
		r.Explicit = []string{"pomerium.dashboard.Route:kubernetes_service_account_token", "pomerium.dashboard.Route:allow_websockets"}
		r = put(f, r)
		page := activity(t, f, store.ActivityQuery{EntityID: r.ID})
		if len(page.Entries) != 1 {
			t.Fatalf("entries of %s: %d", r.ID, len(page.Entries))
		}
		var doc struct {
			Explicit []string `json:"explicit"`
			Redacted []string `json:"redacted"`
		}
		if err := json.Unmarshal([]byte(page.Entries[0].Snapshot), &doc); err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "explicit fields in the log", []string{"pomerium.dashboard.Route:allow_websockets"}, doc.Explicit)
		assertEqual(t, "redacted fields in the log", []string{"spec.kubernetes_service_account_token"}, doc.Redacted)
	})
}
