package compile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// world is a desired state edited one object at a time, the way the store's
// change feed reports it.
type world struct {
	objects map[ObjectKey]store.Object
	version int64
}

func newWorld(st *store.State) *world {
	w := &world{objects: map[ObjectKey]store.Object{}}
	for _, o := range st.Objects() {
		w.objects[ObjectKey{Kind: o.Kind(), ID: o.GetObjectMeta().ID}] = o
	}
	if st.Settings != nil {
		w.objects[ObjectKey{Kind: store.KindSettings, ID: st.Settings.ID}] = st.Settings
	}
	return w
}

func (w *world) state() *store.State {
	st := &store.State{}
	for _, o := range w.objects {
		st.Add(o)
	}
	return st
}

// put stores o under a new version and returns the change.
func (w *world) put(o store.Object) store.Change {
	w.version++
	o.GetObjectMeta().Version = w.version
	m := o.GetObjectMeta()
	w.objects[ObjectKey{Kind: o.Kind(), ID: m.ID}] = o
	return store.Change{Kind: o.Kind(), ID: m.ID, Version: w.version, Object: o}
}

func (w *world) remove(key ObjectKey) store.Change {
	w.version++
	delete(w.objects, key)
	return store.Change{Kind: key.Kind, ID: key.ID, Version: w.version}
}

// edit makes one random change: a route moved, renamed, made to collide or
// broken; a policy enforced, broken or deleted; a namespace moved, renamed
// or deleted; a key pair deleted or restored; the settings changed.
func (w *world) edit(t testing.TB, rng *rand.Rand, pool *store.State) store.Change {
	nsIDs := []string{nsGlobal, nsTeam, nsApp, nsOther, "a0000000-0000-4000-8000-000000000404"}
	pick := func(ids []string) string { return ids[rng.IntN(len(ids))] }
	switch rng.IntN(10) {
	case 0, 1, 2, 3:
		r := pool.Routes[rng.IntN(len(pool.Routes))]
		if rng.IntN(8) == 0 {
			return w.remove(ObjectKey{Kind: store.KindRoute, ID: r.ID})
		}
		r = &store.Route{ObjectMeta: r.ObjectMeta, Spec: proto.CloneOf(r.Spec)}
		switch rng.IntN(5) {
		case 0:
			r.NamespaceID = pick(nsIDs)
		case 1:
			r.Name = fmt.Sprintf("renamed %d", rng.IntN(100))
		case 2:
			r.Spec.From = pick([]string{"https://dup.example.com", "https://good.example.com", "nowhere", "https://fresh.example.com"})
		case 3:
			r.Spec.PolicyIds = []string{policyID(1 + rng.IntN(5))}
		case 4:
			r.Spec.To = []string{fmt.Sprintf("https://to%d.internal", rng.IntN(100))}
		}
		return w.put(r)
	case 4, 5:
		p := pool.Policies[rng.IntN(len(pool.Policies))]
		if rng.IntN(5) == 0 {
			return w.remove(ObjectKey{Kind: store.KindPolicy, ID: p.ID})
		}
		cp := *p
		switch rng.IntN(4) {
		case 0:
			cp.Enforced = !cp.Enforced
		case 1:
			cp.PPL = pick([]string{allowAll, "allow:\n  and:\n    - bogus: 1\n"})
		case 2:
			cp.NamespaceID = pick(nsIDs)
		case 3:
			cp.Name = fmt.Sprintf("policy %d", rng.IntN(100))
		}
		return w.put(&cp)
	case 6, 7:
		id := pick(nsIDs[1:4])
		if rng.IntN(5) == 0 {
			return w.remove(ObjectKey{Kind: store.KindNamespace, ID: id})
		}
		var parent, name string
		for _, ns := range tree() {
			if ns.ID == id {
				parent, name = ns.NamespaceID, ns.Name
			}
		}
		switch rng.IntN(3) {
		case 0:
			parent = pick(nsIDs)
		case 1:
			name = fmt.Sprintf("ns %d", rng.IntN(100))
		}
		ns := namespace(id, parent, name)
		// Other, or Team, becomes a cluster's namespace and stops being
		// one: everything below changes cluster.
		ns.Cluster = id != nsApp && rng.IntN(3) == 0
		return w.put(ns)
	case 8:
		kp := pool.KeyPairs[rng.IntN(len(pool.KeyPairs))]
		if rng.IntN(2) == 0 {
			return w.remove(ObjectKey{Kind: store.KindKeyPair, ID: kp.ID})
		}
		cp := *kp
		cp.NamespaceID = pick(nsIDs)
		return w.put(&cp)
	default:
		if rng.IntN(3) == 0 {
			// The settings of a cluster whose namespace is Other's, naming
			// a certificate: of the cluster, of the namespaces above it,
			// or of another cluster.
			kp := pool.KeyPairs[rng.IntN(len(pool.KeyPairs))]
			if rng.IntN(4) == 0 {
				return w.remove(ObjectKey{Kind: store.KindSettings, ID: nsOther})
			}
			return w.put(&store.Settings{ObjectMeta: meta(nsOther, nsOther, ""), Spec: &configpb.Settings{CertificateKeyPairIds: []string{kp.ID}}})
		}
		s := *pool.Settings
		s.Spec = proto.CloneOf(s.Spec)
		s.Spec.AuthenticateServiceUrl = new(pick([]string{"https://authenticate.example.com", "not a url"}))
		return w.put(&s)
	}
}

// TestCompilerMatchesCompile applies random edits one at a time and checks
// after each that the incremental compiler holds what a full compilation of
// the same objects gives (the records it did not compile again emitted
// again from what it kept), with the digests it keeps of them, and that
// every object whose record or status changed was reported.
func TestCompilerMatchesCompile(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			pool := mixedState(t)
			pool.Routes = append(pool.Routes, inheritanceState(t).Routes...)
			pool.Policies = append(pool.Policies, policy(policyID(5), nsOther, "other", allowAll, true))
			w := newWorld(mixedState(t))
			c := NewCompiler()
			c.Reset(w.state())
			before := c.Result()
			touched := map[ObjectKey]bool{}
			for step := range 60 {
				ch := w.edit(t, rng, pool)
				for _, k := range c.Apply([]store.Change{ch}) {
					touched[k] = true
				}
				if rng.IntN(3) != 0 && step < 59 {
					// Compared after a later edit: the records compiled
					// now and not asked for stay to be emitted then.
					continue
				}
				got, want := c.Result(), Compile(w.state())
				if diff := gocmp.Diff(string(renderResult(t, want)), string(renderResult(t, got))); diff != "" {
					t.Fatalf("step %d (%s %s): incremental result differs (-full +incremental):\n%s", step, ch.Kind, ch.ID, diff)
				}
				// The digest kept of a record is that of the data it is made
				// of, emitted now or again.
				for _, rec := range got.Records {
					k, _ := kindOfRecordType(rec.Type)
					if d, ok := c.digest(ObjectKey{Kind: k, ID: rec.Id}); !ok || d != DigestOf(rec.Data.Value) {
						t.Fatalf("step %d (%s %s): %s %s: digest %x (%t), of its data %x", step, ch.Kind, ch.ID, k, rec.Id, d, ok, DigestOf(rec.Data.Value))
					}
				}
				for _, k := range changedKeys(before, got) {
					if !touched[k] {
						t.Fatalf("step %d (%s %s): %s changed but was not reported", step, ch.Kind, ch.ID, k)
					}
				}
				before = got
				clear(touched)
			}
		})
	}
}

func changedKeys(a, b *Result) []ObjectKey {
	records := func(r *Result) map[ObjectKey]string {
		out := map[ObjectKey]string{}
		for _, rec := range r.Records {
			k, _ := kindOfRecordType(rec.Type)
			out[ObjectKey{Kind: k, ID: rec.Id}] = string(rec.Data.Value)
		}
		return out
	}
	ra, rb := records(a), records(b)
	seen := map[ObjectKey]bool{}
	var out []ObjectKey
	note := func(k ObjectKey) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for k, v := range ra {
		if rb[k] != v {
			note(k)
		}
	}
	for k, v := range rb {
		if ra[k] != v {
			note(k)
		}
	}
	for k, s := range a.Status {
		if t, ok := b.Status[k]; !ok || t != s {
			note(k)
		}
	}
	for k := range b.Status {
		if _, ok := a.Status[k]; !ok {
			note(k)
		}
	}
	return out
}

func kindOfRecordType(t string) (store.Kind, bool) {
	switch t {
	case RecordTypeRoute:
		return store.KindRoute, true
	case RecordTypePolicy:
		return store.KindPolicy, true
	case RecordTypeKeyPair:
		return store.KindKeyPair, true
	case RecordTypeSettings:
		return store.KindSettings, true
	}
	return "", false
}

// TestCompilerResetKeepsUnchanged checks that a Reset with the objects
// already held reports nothing, and one with a new version reports it.
func TestCompilerResetKeepsUnchanged(t *testing.T) {
	t.Parallel()
	st := largeState(300, 200)
	c := NewCompiler()
	if got := len(c.Reset(st)); got != 300+200+len(st.Namespaces) {
		t.Fatalf("first reset reported %d objects", got)
	}
	if got := c.Reset(st); len(got) != 0 {
		t.Fatalf("reset with the same objects reported %v", got)
	}
	r := *st.Routes[5]
	r.Version++
	r.Spec = &configpb.Route{From: "https://changed.example.com", To: []string{"https://x.internal"}}
	st.Routes[5] = &r
	got := c.Reset(st)
	if want := []ObjectKey{{Kind: store.KindRoute, ID: r.ID}}; !gocmp.Equal(got, want) {
		t.Fatalf("reset after one edit reported %v, want %v", got, want)
	}
}

// TestOwningCompilerMatchesCompile checks the loop's mode, in which the
// compiler takes over the routes it is given instead of copying them. It
// is not parallel: it looks at what the pool of route specs holds.
func TestOwningCompilerMatchesCompile(t *testing.T) {
	c := NewCompiler()
	owned := mixedState(t)
	specs := make([]*configpb.Route, len(owned.Routes))
	for i, r := range owned.Routes {
		specs[i] = r.Spec
	}
	c.ResetOwned(owned)
	// The specs of the routes taken over are handed back emptied, for
	// later reads to decode into.
	for i, spec := range specs {
		if proto.Size(spec) != 0 {
			t.Errorf("route %d's spec was not handed back: %v", i+1, spec)
		}
	}
	want := renderResult(t, Compile(mixedState(t)))
	if diff := gocmp.Diff(string(want), string(renderResult(t, c.Result()))); diff != "" {
		t.Fatalf("owning compiler differs (-full +owning):\n%s", diff)
	}
	// What later reads decode into the specs handed back changes nothing
	// the compiler holds.
	later := &configpb.Route{From: "https://later.example.com", To: []string{"https://later.internal"},
		PolicyIds: []string{policyID(1)}, TlsClientKeyPairId: new(keyPairID(1)), Redirect: &configpb.RouteRedirect{HostRedirect: new("later.example.com")}}
	var taken []*configpb.Route
	for range 2 * len(specs) {
		spec := store.NewRouteSpec()
		proto.Merge(spec, later)
		taken = append(taken, spec)
	}
	if diff := gocmp.Diff(string(want), string(renderResult(t, c.Result()))); diff != "" {
		t.Fatalf("owning compiler differs once the specs it handed back are used again (-full +owning):\n%s", diff)
	}
	for _, spec := range taken {
		store.RecycleRouteSpec(spec)
	}
	// Recompiling every route from what the compiler kept gives the same.
	enforced := policy(policyID(9), nsGlobal, "new guard", allowAll, true)
	c.ApplyOwned([]store.Change{{Kind: store.KindPolicy, ID: enforced.ID, Version: 2, Object: enforced}})
	st := mixedState(t)
	st.Policies = append(st.Policies, policy(policyID(9), nsGlobal, "new guard", allowAll, true))
	if diff := gocmp.Diff(string(renderResult(t, Compile(st))), string(renderResult(t, c.Result()))); diff != "" {
		t.Fatalf("owning compiler differs after a new enforced policy (-full +owning):\n%s", diff)
	}
}

// TestCompilerLeavesCallerObjectsAlone checks that Reset and Apply change
// nothing they are given, across a full compilation and an edit that emits
// a route record, and that only the owning methods take routes over.
func TestCompilerLeavesCallerObjectsAlone(t *testing.T) {
	t.Parallel()
	edit := func() []store.Change {
		r := route(routeID(1), nsApp, "good", &configpb.Route{From: "https://good.example.com", To: []string{"https://v2.internal"}, PolicyIds: []string{policyID(4)}})
		r.Version = 2
		p := policy(policyID(5), nsGlobal, "new guard", allowAll, true)
		return []store.Change{{Kind: store.KindRoute, ID: r.ID, Version: 2, Object: r}, {Kind: store.KindPolicy, ID: p.ID, Version: 2, Object: p}}
	}
	st, changes := mixedState(t), edit()
	c := NewCompiler()
	c.Reset(st)
	c.Apply(changes)
	if diff := gocmp.Diff(mixedState(t), st, protocmp.Transform()); diff != "" {
		t.Errorf("Reset changed the state it was given (-before +after):\n%s", diff)
	}
	if diff := gocmp.Diff(edit(), changes, protocmp.Transform()); diff != "" {
		t.Errorf("Apply changed the changes it was given (-before +after):\n%s", diff)
	}
	if c.Record(ObjectKey{Kind: store.KindRoute, ID: routeID(1)}) == nil {
		t.Fatal("the edited route has no record: the edit compiled nothing")
	}

	owned, ownedChanges := mixedState(t), edit()
	c = NewCompiler()
	c.ResetOwned(owned)
	c.ApplyOwned(ownedChanges)
	for i, r := range owned.Routes {
		if r != nil {
			t.Errorf("ResetOwned left route %d with the caller", i)
		}
	}
	if ownedChanges[0].Object != nil || ownedChanges[1].Object == nil {
		t.Errorf("ApplyOwned took %v, want the route and only the route", ownedChanges)
	}
}

// TestClaimsMadeAndGivenUp walks three routes through one claim: made by
// one, contested by a second and a third, given up by the route that made
// it first (its from changed), by a deletion, made again and given up by
// all, then batches that change one route twice. After each step, applied
// as the store's feed reports it, the incremental compiler's records and
// statuses must be what compiling everything gives, and exactly the routes
// sharing the claim must say so.
func TestClaimsMadeAndGivenUp(t *testing.T) {
	t.Parallel()
	to := []string{"https://u"}
	w := newWorld(&store.State{Namespaces: tree()})
	c := NewCompiler()
	c.Reset(w.state())
	put := func(n int, from string) store.Change {
		return w.put(route(routeID(n), nsApp, fmt.Sprintf("r%d", n), &configpb.Route{From: from, To: to}))
	}
	del := func(n int) store.Change { return w.remove(ObjectKey{Kind: store.KindRoute, ID: routeID(n)}) }
	const dup, other = "https://dup.example.com", "https://other.example.com"
	for i, step := range []struct {
		name    string
		changes func() []store.Change
		// contested are the routes whose claim another route shares after
		// the step.
		contested []int
	}{
		{"one claims", func() []store.Change { return []store.Change{put(1, dup)} }, nil},
		{"a second contests", func() []store.Change { return []store.Change{put(2, dup)} }, []int{1, 2}},
		{"a third contests", func() []store.Change { return []store.Change{put(3, dup)} }, []int{1, 2, 3}},
		{"the first gives up", func() []store.Change { return []store.Change{put(1, other)} }, []int{2, 3}},
		{"a contestant is deleted", func() []store.Change { return []store.Change{del(2)} }, nil},
		{"the first comes back", func() []store.Change { return []store.Change{put(1, dup)} }, []int{1, 3}},
		{"the other is deleted", func() []store.Change { return []store.Change{del(3)} }, nil},
		{"the only claimant is edited", func() []store.Change { return []store.Change{put(1, dup)} }, nil},
		{"two come at once", func() []store.Change { return []store.Change{put(2, dup), put(3, dup)} }, []int{1, 2, 3}},
		{"all give up at once", func() []store.Change { return []store.Change{put(1, other+"/1"), put(2, "nowhere"), del(3)} }, nil},
		{"one claims again", func() []store.Change { return []store.Change{put(2, dup)} }, nil},
		{"another comes and goes in one batch", func() []store.Change { return []store.Change{put(1, dup), put(1, other)} }, nil},
		{"another goes and comes in one batch", func() []store.Change { return []store.Change{put(1, other), put(1, dup)} }, []int{1, 2}},
		{"a contestant comes and is deleted in one batch", func() []store.Change { return []store.Change{put(3, dup), del(3)} }, []int{1, 2}},
	} {
		c.Apply(step.changes())
		got, want := c.Result(), Compile(w.state())
		if diff := gocmp.Diff(string(renderResult(t, want)), string(renderResult(t, got))); diff != "" {
			t.Fatalf("step %d (%s): incremental result differs (-full +incremental):\n%s", i, step.name, diff)
		}
		for n := 1; n <= 3; n++ {
			st := got.Status[ObjectKey{Kind: store.KindRoute, ID: routeID(n)}]
			contested := st.Field == "spec.from" && strings.Contains(st.Reason, "claims the same")
			if contested != slices.Contains(step.contested, n) {
				t.Errorf("step %d (%s): route %d contested %t, want %t (status %+v)", i, step.name, n, contested, !contested, st)
			}
		}
	}
}

// TestDeferredChecks applies random edits to a compiler that defers the
// checks of more than one route at a time, and checks a random number of
// the deferred routes after each edit. After each step:
//   - every object but the deferred routes has what a full compilation of
//     the same objects gives it;
//   - every deferred route keeps the record (emitted again now) and the
//     status it had before the step;
//   - every object whose record or status changed was reported, by Apply
//     or by CheckDeferred;
//   - once every deferred route is checked, the whole result is a full
//     compilation's.
func TestDeferredChecks(t *testing.T) {
	t.Parallel()
	deferredAny := false
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 11))
		pool := mixedState(t)
		pool.Routes = append(pool.Routes, inheritanceState(t).Routes...)
		pool.Policies = append(pool.Policies, policy(policyID(5), nsOther, "other", allowAll, true))
		w := newWorld(mixedState(t))
		for _, r := range inheritanceState(t).Routes {
			w.put(r)
		}
		c := NewCompiler()
		c.DeferChecks(1)
		c.Reset(w.state())
		c.CheckDeferred(-1)
		before := splitResult(t, c.Result())
		for step := range 60 {
			ch := w.edit(t, rng, pool)
			touched := map[ObjectKey]bool{}
			for _, k := range c.Apply([]store.Change{ch}) {
				touched[k] = true
			}
			deferredAny = deferredAny || c.Deferred() > 0
			drain := step%10 == 9
			n := rng.IntN(3)
			if drain {
				n = -1
			}
			var lowest []string // the ids CheckDeferred(n) takes first
			for e := range c.deferred {
				lowest = append(lowest, e.meta.ID)
			}
			slices.Sort(lowest)
			lowest = lowest[:max(0, min(n, len(lowest)))]
			for _, k := range c.CheckDeferred(n) {
				touched[k] = true
			}
			for _, id := range lowest {
				if _, still := c.deferred[c.routes[id]]; still {
					t.Fatalf("seed %d step %d: route %s, among the %d lowest ids deferred, is still deferred after checking %d", seed, step, id, len(lowest), n)
				}
			}
			if drain && c.Deferred() != 0 {
				t.Fatalf("seed %d step %d: %d routes still deferred after checking all", seed, step, c.Deferred())
			}
			got := c.Result()
			namesMissing(t, c, got, fmt.Sprintf("seed %d step %d (%s %s)", seed, step, ch.Kind, ch.ID))
			gotSplit, want := splitResult(t, got), splitResult(t, Compile(w.state()))
			for k := range union(gotSplit, want, before) {
				deferred := false
				if e, ok := c.routes[k.ID]; ok && k.Kind == store.KindRoute {
					_, deferred = c.deferred[e]
				}
				expect, from := want[k], "a full compilation"
				if deferred {
					expect, from = before[k], "before the step"
				}
				if gotSplit[k] != expect {
					t.Fatalf("seed %d step %d (%s %s): %s %s (deferred %t) differs from %s:\n got %s\nwant %s", seed, step, ch.Kind, ch.ID, k.Kind, k.ID, deferred, from, gotSplit[k], expect)
				}
				if gotSplit[k] != before[k] && !touched[k] {
					t.Fatalf("seed %d step %d (%s %s): %s %s changed but was not reported", seed, step, ch.Kind, ch.ID, k.Kind, k.ID)
				}
			}
			before = gotSplit
		}
	}
	if !deferredAny {
		t.Fatal("no edit deferred a check: the test checks nothing of deferring")
	}
}

// namesMissing fails when a route record of res, c's result, names a
// policy without a record in res, or whose record is not in the route's
// cluster's databroker: Pomerium would serve the route without it.
func namesMissing(t *testing.T, c *Compiler, res *Result, step string) {
	t.Helper()
	policies := map[string]bool{}
	for _, rec := range res.Records {
		if rec.Type == RecordTypePolicy {
			policies[rec.Id] = true
		}
	}
	for _, rec := range res.Records {
		if rec.Type != RecordTypeRoute {
			continue
		}
		var r configpb.Route
		if err := rec.Data.UnmarshalTo(&r); err != nil {
			t.Fatal(err)
		}
		cluster := c.Owner(ObjectKey{Kind: store.KindRoute, ID: rec.Id})
		for _, id := range r.GetPolicyIds() {
			if !policies[id] || !c.Belongs(ObjectKey{Kind: store.KindPolicy, ID: id}, cluster) {
				t.Fatalf("%s: route %s of cluster %s names policy %s, which has no record there", step, rec.Id, cluster, id)
			}
		}
	}
}

// splitResult renders each object's record and status of a result on its
// own.
func splitResult(t *testing.T, res *Result) map[ObjectKey]string {
	t.Helper()
	out := map[ObjectKey]string{}
	for _, rec := range res.Records {
		k, _ := kindOfRecordType(rec.Type)
		raw, err := protojson.Marshal(rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		out[ObjectKey{Kind: k, ID: rec.Id}] = "record " + string(raw)
	}
	for k, s := range res.Status {
		out[k] += fmt.Sprintf(" status %+v", s)
	}
	return out
}

func union(maps ...map[ObjectKey]string) map[ObjectKey]bool {
	out := map[ObjectKey]bool{}
	for _, m := range maps {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// TestDeferredOrderLetsGoOfWhatIsChecked: the order of the deferred routes
// is built by the first slice checked, not by a check of none, and built
// again once most of it was checked otherwise (routes edited meanwhile).
func TestDeferredOrderLetsGoOfWhatIsChecked(t *testing.T) {
	t.Parallel()
	st := largeState(400, 100)
	c := NewCompiler()
	c.DeferChecks(1)
	c.Reset(st)
	p := policy(policyID(9000), nsGlobal, "guard", allowAll, false)
	c.Apply([]store.Change{{Kind: store.KindPolicy, ID: p.ID, Version: 1, Object: p}})
	enforced := *p
	enforced.Version, enforced.Enforced = 2, true
	c.Apply([]store.Change{{Kind: store.KindPolicy, ID: p.ID, Version: 2, Object: &enforced}})
	if got := c.Deferred(); got != len(st.Routes) {
		t.Fatalf("%d routes deferred, want all %d", got, len(st.Routes))
	}
	if keys := c.CheckDeferred(0); keys != nil || c.deferredOrder != nil {
		t.Fatalf("checking none reported %v and built an order of %d", keys, len(c.deferredOrder))
	}
	c.CheckDeferred(1)
	if got, want := len(c.deferredOrder), len(st.Routes)-1; got != want {
		t.Fatalf("order of %d after the first slice, want %d", got, want)
	}
	// Edited routes are checked at once, and leave the deferred routes:
	// those of the highest ids, which the order holds last.
	var changes []store.Change
	for i, r := range st.Routes[len(st.Routes)-300:] {
		edited := *r
		edited.Version = int64(10_000 + i)
		changes = append(changes, store.Change{Kind: store.KindRoute, ID: r.ID, Version: edited.Version, Object: &edited})
	}
	c.Apply(changes)
	left := c.Deferred()
	if left >= len(c.deferredOrder)/2 {
		t.Fatalf("%d routes deferred of an order of %d: the edits should have left most of it stale", left, len(c.deferredOrder))
	}
	c.CheckDeferred(1)
	if len(c.deferredOrder) > c.Deferred() {
		t.Errorf("order of %d for %d routes deferred: not built again", len(c.deferredOrder), c.Deferred())
	}
	if c.Deferred() != left-1 {
		t.Errorf("%d routes deferred after a slice of 1, want %d", c.Deferred(), left-1)
	}
}

// TestReserve: a compiler that makes room for the routes to come compiles
// them as one that does not; one that holds routes already keeps them.
func TestReserve(t *testing.T) {
	t.Parallel()
	want := renderResult(t, Compile(mixedState(t)))
	c := NewCompiler()
	c.Reserve(len(mixedState(t).Routes))
	c.Reset(mixedState(t))
	if diff := gocmp.Diff(string(want), string(renderResult(t, c.Result()))); diff != "" {
		t.Fatalf("compiler with room reserved differs (-without +with):\n%s", diff)
	}
	c.Reserve(1_000)
	if diff := gocmp.Diff(string(want), string(renderResult(t, c.Result()))); diff != "" {
		t.Fatalf("reserving room in a compiler that holds routes changed it (-before +after):\n%s", diff)
	}
	if got := len(c.Keys()); got == 0 {
		t.Fatal("the compiler holds nothing")
	}
}
