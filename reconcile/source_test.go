package reconcile

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// Without a compiled copy (the last refresh panicked) a loop's pass fails
// instead of diffing against nothing, which would delete every record.
func TestSourceWithoutCompiledCopy(t *testing.T) {
	t.Parallel()
	s := newSource(nil)
	called := false
	if err := s.read(func(*compile.Compiler) { called = true }); !errors.Is(err, errNotCompiled) || called {
		t.Errorf("read without a compiled copy: %v, called %v", err, called)
	}
}

// A loop that does not refresh keeps a bounded set of changed objects.
func TestPendingKeysBounded(t *testing.T) {
	t.Parallel()
	p := &pendingKeys{keys: map[compile.ObjectKey]struct{}{}}
	keys := make([]compile.ObjectKey, maxPending+1)
	for i := range keys {
		keys[i] = compile.ObjectKey{Kind: store.KindRoute, ID: fmt.Sprint(i)}
	}
	p.add(keys[:10])
	if len(p.keys) != 10 || p.sweep != sweepNone {
		t.Fatalf("after 10: %d keys, sweep %v", len(p.keys), p.sweep)
	}
	p.add(keys)
	if len(p.keys) != 0 || p.sweep != sweepAll {
		t.Errorf("past the bound: %d keys, sweep %v; want none kept and every object compared", len(p.keys), p.sweep)
	}
}

// A loop told that everything was read again still keeps what changed
// after: its sweep may list only what its own resync found different,
// from before those changes.
func TestPendingKeysKeptWhenEverythingWasRead(t *testing.T) {
	t.Parallel()
	p := &pendingKeys{keys: map[compile.ObjectKey]struct{}{}, sweep: sweepFound}
	key := compile.ObjectKey{Kind: store.KindRoute, ID: "r"}
	p.add([]compile.ObjectKey{key})
	if _, ok := p.keys[key]; !ok || p.sweep != sweepFound {
		t.Errorf("keys %v, sweep %v; want r kept and a sweep of what the resync found", p.keys, p.sweep)
	}
}

// Only a route that moved to another cluster stays until that cluster
// holds it; a policy that is another cluster's goes at once.
func TestClusterTargetKeepsMovedRoutesOnly(t *testing.T) {
	t.Parallel()
	const eu = "e0000000-0000-4000-8000-000000000001"
	ns := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: eu, NamespaceID: store.GlobalNamespaceID, Name: "eu", Version: 1}, Cluster: true}
	global := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: store.GlobalNamespaceID, Name: "Global", Version: 1}}
	route := &store.Route{ObjectMeta: store.ObjectMeta{ID: "c0000000-0000-4000-8000-000000000001", NamespaceID: eu, Name: "r", Version: 7},
		Spec: &configpb.Route{From: "https://r.example.com", To: []string{"https://r.internal"}}}
	policy := &store.Policy{ObjectMeta: store.ObjectMeta{ID: "b0000000-0000-4000-8000-000000000001", NamespaceID: eu, Name: "p", Version: 1},
		PPL: "allow:\n  or:\n    - accept: true\n"}
	c := compile.NewCompiler()
	c.Reset(&store.State{Namespaces: []*store.Namespace{global, ns}, Routes: []*store.Route{route}, Policies: []*store.Policy{policy}})
	routeKey := compile.ObjectKey{Kind: store.KindRoute, ID: route.ID}
	policyKey := compile.ObjectKey{Kind: store.KindPolicy, ID: policy.ID}
	for _, held := range []bool{false, true} {
		var asked []string
		tgt := &clusterTarget{c: c, cluster: store.DefaultClusterID, placed: func(cluster string, key compile.ObjectKey, version int64) bool {
			asked = append(asked, fmt.Sprint(cluster, key, version))
			return held
		}}
		if rec, has := tgt.Changed(routeKey, nil); rec != nil || has {
			t.Fatal("the default cluster wants eu's route")
		}
		_, kept := tgt.Status(routeKey)
		if kept == held || len(tgt.kept) != map[bool]int{false: 1, true: 0}[held] {
			t.Errorf("eu holds the route: %v; kept here %v (%v)", held, kept, tgt.kept)
		}
		if want := fmt.Sprint(eu, routeKey, int64(7)); len(asked) != 1 || asked[0] != want {
			t.Errorf("asked %v, want %s", asked, want)
		}
		if _, kept := tgt.Status(policyKey); kept {
			t.Error("a policy of another cluster is kept")
		}
	}
}
