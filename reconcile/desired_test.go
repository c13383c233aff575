package reconcile

import (
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestRereadFindsWhatTheFeedMissed checks the resync path: objects written,
// changed and deleted since the copy was made are found by comparing
// versions, and the compiled copy ends equal to a compilation of a fresh
// load.
func TestRereadFindsWhatTheFeedMissed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetest.Embedded(t, make([]byte, 32))
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	put := func(o store.Object) store.Object {
		out, err := s.Apply(ctx, actor, &store.PutOp{Object: o})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	route := func(name, from string) *store.Route {
		return &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: name},
			Spec: &configpb.Route{From: from, To: []string{"https://upstream.internal"}}}
	}
	kept := put(route("kept", "https://kept.example.com")).(*store.Route)
	changed := put(route("changed", "https://changed.example.com")).(*store.Route)
	gone := put(route("gone", "https://gone.example.com")).(*store.Route)

	src := newSource(s)
	if _, full, _, err := src.refresh(ctx, nil, nil); err != nil || !full {
		t.Fatalf("first refresh: full=%v, %v", full, err)
	}
	d := src.d
	changed.Spec.To = []string{"https://v2.internal"}
	put(changed)
	if _, err := s.Apply(ctx, actor, &store.DeleteOp{Kind: store.KindRoute, ID: gone.ID}); err != nil {
		t.Fatal(err)
	}
	added := put(route("added", "https://added.example.com")).(*store.Route)
	put(&store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "p"}, PPL: "allow:\n  or:\n    - accept: true\n", Enforced: true})

	d.invalidate()
	keys, full, err := d.refresh(ctx)
	if err != nil || !full {
		t.Fatalf("reread: full=%v, %v", full, err)
	}
	touched := map[compile.ObjectKey]bool{}
	for _, k := range keys {
		touched[k] = true
	}
	for _, id := range []string{changed.ID, gone.ID, added.ID, kept.ID} {
		if !touched[compile.ObjectKey{Kind: store.KindRoute, ID: id}] {
			t.Errorf("route %s not reported (the enforced policy touches every route)", id)
		}
	}
	st, err := s.Load(ctx, store.WithSecrets())
	if err != nil {
		t.Fatal(err)
	}
	st.Settings = nil
	want := compile.Compile(st)
	got := d.compiler.Result()
	if diff := gocmp.Diff(len(want.Records), len(got.Records)); diff != "" {
		t.Fatalf("records (-fresh +reread): %s", diff)
	}
	for i := range want.Records {
		if string(want.Records[i].Data.Value) != string(got.Records[i].Data.Value) || want.Records[i].Id != got.Records[i].Id {
			t.Errorf("record %s differs from a fresh compilation", want.Records[i].Id)
		}
	}
	if d.version != st.Version {
		t.Errorf("copy at version %d, store at %d", d.version, st.Version)
	}
}
