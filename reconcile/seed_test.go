package reconcile_test

import (
	"fmt"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// seeder fills a store with the benchmark's shape: 100 namespaces (Global,
// 9 below it, 10 below each of those), 1,000 policies of which every tenth is
// enforced, and routes spread over the namespaces, each with one policy of
// its own namespace.
type seeder struct {
	b          *testing.B
	s          store.Store
	namespaces []string
	policies   [][]string // by namespace index
	// routeIDs are the routes' ids, in the order added: the routes
	// themselves, which serve does not hold, would be marked by every
	// collection of the benchmarks' process.
	routeIDs []string
}

func newSeeder(b *testing.B, s store.Store) *seeder {
	sd := &seeder{b: b, s: s, namespaces: []string{store.GlobalNamespaceID}}
	for i := range 9 {
		mid := sd.put(namespace(store.GlobalNamespaceID, fmt.Sprintf("team-%d", i))).GetObjectMeta().ID
		sd.namespaces = append(sd.namespaces, mid)
		for j := range 10 {
			sd.namespaces = append(sd.namespaces, sd.put(namespace(mid, fmt.Sprintf("app-%d", j))).GetObjectMeta().ID)
		}
	}
	sd.policies = make([][]string, len(sd.namespaces))
	var ops []store.Op
	for i := range 1000 {
		ns := i % len(sd.namespaces)
		ppl := fmt.Sprintf("allow:\n  or:\n    - email: {is: user%d@example.com}\n    - groups: {has: group%d}\n", i, i)
		ops = append(ops, &store.PutOp{Object: policy(sd.namespaces[ns], fmt.Sprintf("policy-%d", i), ppl, i%10 == 0)})
	}
	for i, obj := range sd.apply(ops) {
		ns := i % len(sd.namespaces)
		sd.policies[ns] = append(sd.policies[ns], obj.GetObjectMeta().ID)
	}
	return sd
}

func (sd *seeder) put(obj store.Object) store.Object {
	return sd.apply([]store.Op{&store.PutOp{Object: obj}})[0]
}

func (sd *seeder) apply(ops []store.Op) []store.Object {
	out, err := sd.s.Apply(sd.b.Context(), actor, ops...)
	if err != nil {
		sd.b.Fatalf("seed: %v", err)
	}
	return out
}

// growTo adds routes until there are n.
func (sd *seeder) growTo(n int) {
	const batch = 1000
	for len(sd.routeIDs) < n {
		var ops []store.Op
		for i := len(sd.routeIDs); i < min(n, len(sd.routeIDs)+batch); i++ {
			ns := i % len(sd.namespaces)
			own := sd.policies[ns]
			r := route(sd.namespaces[ns], fmt.Sprintf("route-%d", i), fmt.Sprintf("https://app%d.example.com", i), own[i%len(own)])
			r.Spec.SetRequestHeaders = map[string]string{"X-Route": fmt.Sprint(i)}
			r.Spec.PassIdentityHeaders = new(true)
			r.Spec.Timeout = nil
			ops = append(ops, &store.PutOp{Object: r})
		}
		for _, obj := range sd.apply(ops) {
			sd.routeIDs = append(sd.routeIDs, obj.GetObjectMeta().ID)
		}
	}
}
