package compile

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// largeState builds a tree of 100 namespaces (Global, 9 below it, 10 below
// each of those), policies spread evenly with every tenth one enforced, and
// routes spread evenly, each with two policies of its own namespace.
func largeState(routes, policies int) *store.State {
	st := &store.State{Namespaces: []*store.Namespace{namespace(nsGlobal, "", "Global")}}
	for i := range 9 {
		mid := testID('a', 1000+i)
		st.Namespaces = append(st.Namespaces, namespace(mid, nsGlobal, fmt.Sprintf("ns %d", i)))
		for j := range 10 {
			st.Namespaces = append(st.Namespaces, namespace(testID('a', 2000+i*10+j), mid, fmt.Sprintf("ns %d.%d", i, j)))
		}
	}
	nsCount := len(st.Namespaces)
	byNamespace := make([][]string, nsCount)
	for i := range policies {
		n := i % nsCount
		p := policy(policyID(i), st.Namespaces[n].ID, fmt.Sprintf("policy %d", i),
			fmt.Sprintf("allow:\n  or:\n    - email: {is: user%d@example.com}\n    - groups: {has: group%d}\n", i, i), i%10 == 0)
		st.Policies = append(st.Policies, p)
		byNamespace[n] = append(byNamespace[n], p.ID)
	}
	for i := range routes {
		n := i % nsCount
		own := byNamespace[n]
		spec := &configpb.Route{
			From:                fmt.Sprintf("https://app%d.example.com", i),
			To:                  []string{fmt.Sprintf("https://app%d.internal:8443", i)},
			Prefix:              "/",
			PolicyIds:           []string{own[i%len(own)], own[(i+1)%len(own)]},
			SetRequestHeaders:   map[string]string{"X-Route": fmt.Sprint(i)},
			PassIdentityHeaders: new(true),
		}
		st.Routes = append(st.Routes, route(routeID(i), st.Namespaces[n].ID, fmt.Sprintf("route %d", i), spec))
	}
	return st
}

func BenchmarkCompile100k(b *testing.B) {
	const routes = 100_000
	st := largeState(routes, 1_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := Compile(st)
		if len(res.Records) != routes+1_000 {
			b.Fatalf("%d records, want %d", len(res.Records), routes+1_000)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/routes, "ns/route")
}

// BenchmarkCompilerOwned100k is the loop's cold compile: a compiler that
// may turn the routes it is given into records.
func BenchmarkCompilerOwned100k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st := largeState(100_000, 1_000)
		b.StartTimer()
		NewCompiler().ResetOwned(st)
	}
}

// TestLargeStateCompiles keeps the benchmark's state honest without running
// the benchmark: every object is valid and every route inherits.
func TestLargeStateCompiles(t *testing.T) {
	t.Parallel()
	res := Compile(largeState(1_000, 1_000))
	for key, s := range res.Status {
		if !s.Valid {
			t.Fatalf("%s: %+v", key, s)
		}
	}
	if got := len(findRoute(t, res, routeID(999)).PolicyIds); got < 3 {
		t.Errorf("route has %d policies, want its own two and enforced ones", got)
	}
}

// BenchmarkCompilerEdit100k measures what one route edit costs the
// incremental compiler holding 100,000 routes.
func BenchmarkCompilerEdit100k(b *testing.B) {
	st := largeState(100_000, 1_000)
	c := NewCompiler()
	c.Reset(st)
	i := 0
	for b.Loop() {
		r := *st.Routes[(i*7919)%len(st.Routes)]
		r.Version = int64(i + 2)
		r.Spec = &configpb.Route{From: r.Spec.From, To: []string{fmt.Sprintf("https://edit%d.internal", i)}, PolicyIds: r.Spec.PolicyIds}
		touched := c.Apply([]store.Change{{Kind: store.KindRoute, ID: r.ID, Version: r.Version, Object: &r}})
		if len(touched) != 1 || c.Record(touched[0]) == nil {
			b.Fatalf("edit touched %v", touched)
		}
		i++
	}
}

// BenchmarkCompilerPolicyEdit100k measures an edit of an enforced policy of
// the Global namespace that leaves it valid: no route needs compiling.
func BenchmarkCompilerPolicyEdit100k(b *testing.B) {
	st := largeState(100_000, 1_000)
	c := NewCompiler()
	c.Reset(st)
	p := *st.Policies[0]
	for b.Loop() {
		p.Version++
		p.Description = fmt.Sprint(p.Version)
		cp := p
		c.Apply([]store.Change{{Kind: store.KindPolicy, ID: p.ID, Version: p.Version, Object: &cp}})
	}
}

// BenchmarkCompilerEnforce100k measures the loop benchmark's bulk change:
// a policy of a team (a namespace and the ten below it) becoming enforced
// or no longer, which checks the team's 11,000 routes again: at once, and
// as the loop takes it, with the checks past 1,000 routes deferred
// (what remains of them is checked outside the timing).
func BenchmarkCompilerEnforce100k(b *testing.B) {
	for _, mode := range []struct {
		name  string
		above int
	}{{"at-once", 0}, {"deferred", 1000}} {
		b.Run(mode.name, func(b *testing.B) {
			st := largeState(100_000, 1_000)
			c := NewCompiler()
			c.DeferChecks(mode.above)
			c.Reset(st)
			team := st.Namespaces[1].ID
			p := policy(testID('b', 9000), team, "team", "allow:\n  or:\n    - email: {is: team@example.com}\n", false)
			c.Apply([]store.Change{{Kind: store.KindPolicy, ID: p.ID, Version: 1, Object: p}})
			touched, deferred := 0, 0
			var slices time.Duration
			for b.Loop() {
				cp := *p
				cp.Version++
				cp.Enforced = !p.Enforced
				p = &cp
				touched = len(c.Apply([]store.Change{{Kind: store.KindPolicy, ID: p.ID, Version: p.Version, Object: p}}))
				b.StopTimer()
				deferred = c.Deferred()
				if deferred > 0 {
					start := time.Now()
					touched += len(c.CheckDeferred(500))
					slices += time.Since(start)
				}
				touched += len(c.CheckDeferred(-1))
				b.StartTimer()
			}
			if touched < 11_000 {
				b.Fatalf("the change touched %d objects, want the team's routes", touched)
			}
			b.ReportMetric(float64(deferred), "deferred")
			if deferred > 0 {
				// The first slice of 500 deferred routes checked, which
				// puts them all in order.
				b.ReportMetric(float64(slices.Microseconds())/1000/float64(b.N), "first-slice-ms")
			}
		})
	}
}

// BenchmarkCompilerOwnedInParts100k is the loop's cold compile as a first
// load makes it: everything but the routes, then the routes 2,000 at a time.
// B/route-held is what the compiler holds once it is done, per route: the
// live heap after a collection, less what it was before the compiler.
func BenchmarkCompilerOwnedInParts100k(b *testing.B) {
	b.ReportAllocs()
	var held float64
	for b.Loop() {
		b.StopTimer()
		st := largeState(100_000, 1_000)
		var deps []store.Change
		for _, o := range st.Objects() {
			if o.Kind() != store.KindRoute {
				deps = append(deps, store.Change{Kind: o.Kind(), ID: o.GetObjectMeta().ID, Version: o.GetObjectMeta().Version, Object: o})
			}
		}
		before := liveHeap()
		b.StartTimer()
		c := NewCompiler()
		c.ApplyOwned(deps)
		for start := 0; start < len(st.Routes); start += 2000 {
			part := make([]store.Change, 0, 2000)
			for _, r := range st.Routes[start:min(start+2000, len(st.Routes))] {
				part = append(part, store.Change{Kind: store.KindRoute, ID: r.ID, Version: r.Version, Object: r})
			}
			c.ApplyOwned(part)
		}
		b.StopTimer()
		held = float64(liveHeap()-before) / float64(len(st.Routes))
		runtime.KeepAlive(c)
		runtime.KeepAlive(st)
		b.StartTimer()
	}
	b.ReportMetric(held, "B/route-held")
}

// liveHeap returns the heap in use once garbage is collected.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkRouteRecord encodes route records as the loop asks for them when
// it writes: the record's fields written into the encoding of the spec.
func BenchmarkRouteRecord(b *testing.B) {
	st := largeState(10_000, 100)
	c := NewCompiler()
	c.Reset(st)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := ObjectKey{Kind: store.KindRoute, ID: st.Routes[i%len(st.Routes)].ID}
		if c.Record(key) == nil {
			b.Fatalf("route %s has no record", key.ID)
		}
		i++
	}
}
