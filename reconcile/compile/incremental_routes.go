package compile

import (
	"maps"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// changedDeps lists the dependencies of routes that changed as objects.
type changedDeps struct {
	any bool
	// Namespaces and key pairs show in route records (the namespace name,
	// the certificates), so a change to one recompiles its routes; a
	// policy shows only through its signature.
	namespaces, keyPairs []string
}

// signatures hold, per dependency of routes, everything about it that a
// route's record or status shows: two compilations with equal signatures
// compile the routes that reference it alike.
type signatures struct {
	namespaces, policies, keyPairs map[string]string
}

func (d *compiler) signatures() signatures {
	s := signatures{
		namespaces: make(map[string]string, len(d.namespaces)),
		policies:   make(map[string]string, len(d.policies)),
		keyPairs:   make(map[string]string, len(d.keyPairs)),
	}
	for id := range d.namespaces {
		node, err := d.placement(id)
		if err != nil {
			s.namespaces[id] = "invalid\x00" + err.Error()
			continue
		}
		var b strings.Builder
		// The cluster, and the namespaces above it, decide which policies
		// and key pairs the routes may use.
		b.WriteString("valid\x00" + node.cluster)
		if node.cluster != store.DefaultClusterID {
			b.WriteString("\x00" + strings.Join(slices.Sorted(maps.Keys(d.aboveSet(node.cluster))), ","))
		}
		for _, p := range d.enforcedFor(node) {
			b.WriteString("\x00" + p.policy.ID + "\x00" + p.invalidReason())
		}
		s.namespaces[id] = b.String()
	}
	// Where a policy or key pair is, and so its cluster, decides which
	// routes may use it; a policy's name shows in the reasons of the routes
	// that may not.
	for id, p := range d.policies {
		s.policies[id] = p.invalidReason() + "\x00" + p.policy.NamespaceID + "\x00" + d.clusterOf(p.policy.NamespaceID) + "\x00" + p.policy.Name
	}
	for id, k := range d.keyPairs {
		s.keyPairs[id] = k.kp.NamespaceID + "\x00" + d.clusterOf(k.kp.NamespaceID)
		if k.err != nil {
			s.keyPairs[id] += "\x00" + k.err.Error()
		}
	}
	return s
}

// affected adds to dirty the routes that reference a dependency that
// changed as an object (namespaces, key pairs) or whose signature changed.
func (c *Compiler) affected(direct changedDeps, sigs signatures, dirty routeSet) {
	for _, id := range direct.namespaces {
		maps.Copy(dirty, c.byNamespace[id])
	}
	for _, id := range direct.keyPairs {
		maps.Copy(dirty, c.byKeyPair[id])
	}
	differing(c.sigs.namespaces, sigs.namespaces, func(id string) { maps.Copy(dirty, c.byNamespace[id]) })
	differing(c.sigs.policies, sigs.policies, func(id string) { maps.Copy(dirty, c.byPolicy[id]) })
	differing(c.sigs.keyPairs, sigs.keyPairs, func(id string) { maps.Copy(dirty, c.byKeyPair[id]) })
}

// differing calls fn for every id whose signature is not the same in a and
// b, a missing one included.
func differing(a, b map[string]string, fn func(id string)) {
	for id, sa := range a {
		if sb, ok := b[id]; !ok || sa != sb {
			fn(id)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			fn(id)
		}
	}
}

// putRoute replaces or (for a nil object) deletes a route, and marks it for
// a new check. An owned route is the compiler's to turn into its record.
func (c *Compiler) putRoute(id string, o store.Object, owned bool, w *routeWork) {
	if old, ok := c.routes[id]; ok {
		delete(c.deferred, old)
		c.unclaim(old.matchKey, id, w)
		c.index(old, old.decoded(), false)
		old.release()
		if _, replaced := o.(*store.Route); !replaced {
			// A route replaced keeps its place in the map: a walk of the
			// map paused meanwhile (Compiler.All) lists it once.
			delete(c.routes, id)
			c.routesRemoved++
		}
		c.emitMu.Lock()
		delete(c.unemitted, id)
		c.emitMu.Unlock()
	}
	w.touched[id] = struct{}{}
	r, ok := o.(*store.Route)
	if !ok {
		return
	}
	e := newRouteEntry(r, owned)
	if ns, ok := c.namespaces[e.meta.NamespaceID]; ok {
		// The routes of a namespace share its id instead of holding a
		// copy each: a million routes read from a store are a million
		// copies.
		e.meta.NamespaceID = ns.ID
	}
	c.routes[id] = e
	c.index(e, r, true)
	w.check[id] = struct{}{}
}

// routeWork is what one Apply has to do about routes.
type routeWork struct {
	check   idSet                 // routes to validate again
	recheck idSet                 // routes to validate again whose spec is unchanged
	groups  map[claimKey]struct{} // claims whose routes must be settled again
	touched idSet                 // routes whose outcome may have changed
}

// newRouteWork returns work with room for checks routes to check and
// rechecks to check again, each of them touched and settled.
func newRouteWork(checks, rechecks int) *routeWork {
	return &routeWork{check: make(idSet, checks), recheck: make(idSet, rechecks),
		groups: make(map[claimKey]struct{}, checks+rechecks), touched: make(idSet, checks+rechecks)}
}

// compileRoutes checks the routes marked for it, then settles them and every
// route that shares a claim with them or used to.
func (c *Compiler) compileRoutes(w *routeWork) {
	var checked []*routeEntry
	run := func(id string, check func(*routeEntry)) {
		e, ok := c.routes[id]
		if !ok {
			return
		}
		delete(c.deferred, e)
		before := e.matchKey
		check(e)
		if e.matchKey != before {
			c.unclaim(before, id, w)
			c.claim(e, w)
		} else if e.matchKey != noClaim {
			w.groups[e.matchKey] = struct{}{}
		}
		w.touched[id] = struct{}{}
		checked = append(checked, e)
	}
	for id := range w.check {
		run(id, c.deps.check)
	}
	for id := range w.recheck {
		if _, done := w.check[id]; !done {
			run(id, c.deps.recheck)
		}
	}
	if len(c.deferred) > 0 {
		// A route settles with the others of its claim: one whose check
		// was deferred is checked now, so as not to settle its last
		// check's outcome against claims that changed since. Its check
		// makes no new claim: only a change of policies defers, and that
		// moves no route to another cluster.
		var due []*routeEntry
		for key := range w.groups {
			if e, ok := c.claims[key]; ok {
				due = appendDeferred(due, c.deferred, e)
			}
			for _, e := range c.contested[key] {
				due = appendDeferred(due, c.deferred, e)
			}
		}
		for _, e := range due {
			if _, still := c.deferred[e]; still {
				run(e.meta.ID, c.deps.recheck)
			}
		}
	}
	for key := range w.groups {
		if _, ok := c.contested[key]; !ok {
			// Nearly every claim is one route's: no conflict to find.
			if e, ok := c.claims[key]; ok {
				c.settle(e, nil)
				w.touched[e.meta.ID] = struct{}{}
			}
			continue
		}
		group := c.group(key)
		for _, e := range group {
			c.settle(e, group)
			w.touched[e.meta.ID] = struct{}{}
		}
	}
	for _, e := range checked {
		if e.matchKey == noClaim {
			c.settle(e, nil)
		}
	}
	for id := range w.touched {
		if e, ok := c.routes[id]; ok {
			e.release()
		}
	}
	c.deps.resolved = nil
	if len(c.deferred) == 0 {
		c.deferredOrder = nil
	}
}

// appendDeferred appends e to due when e waits in deferred.
func appendDeferred(due []*routeEntry, deferred routeSet, e *routeEntry) []*routeEntry {
	if _, ok := deferred[e]; ok {
		due = append(due, e)
	}
	return due
}

// settle settles a route and notes whether its record is to be emitted.
func (c *Compiler) settle(e *routeEntry, group []*routeEntry) {
	emit := c.deps.settle(e, group)
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	if emit {
		c.unemitted[e.meta.ID] = struct{}{}
	} else if !e.hasRecord {
		delete(c.unemitted, e.meta.ID)
	}
}

// group returns the routes making a contested claim, ordered by id.
func (c *Compiler) group(key claimKey) []*routeEntry {
	out := slices.Clone(c.contested[key])
	slices.SortFunc(out, func(a, b *routeEntry) int { return strings.Compare(a.meta.ID, b.meta.ID) })
	return out
}

func (c *Compiler) claim(e *routeEntry, w *routeWork) {
	key := e.matchKey
	if key == noClaim {
		return
	}
	w.groups[key] = struct{}{}
	first, ok := c.claims[key]
	switch {
	case !ok:
		c.claims[key] = e
	case c.contested[key] == nil:
		c.contested[key] = []*routeEntry{first, e}
	default:
		c.contested[key] = append(c.contested[key], e)
	}
}

// unclaim takes the route id out of those making the claim key.
func (c *Compiler) unclaim(key claimKey, id string, w *routeWork) {
	if key == noClaim {
		return
	}
	w.groups[key] = struct{}{}
	more, ok := c.contested[key]
	if !ok {
		if e, held := c.claims[key]; held && e.meta.ID == id {
			delete(c.claims, key)
		}
		return
	}
	more = slices.DeleteFunc(more, func(e *routeEntry) bool { return e.meta.ID == id })
	switch len(more) {
	case 0:
		delete(c.claims, key)
		delete(c.contested, key)
	case 1:
		c.claims[key] = more[0]
		delete(c.contested, key)
	default:
		c.claims[key] = more[0]
		c.contested[key] = more
	}
}

// index files (or, with put unset, unfiles) a route's entry e under what
// r, its route, references.
func (c *Compiler) index(e *routeEntry, r *store.Route, put bool) {
	update := add
	if !put {
		update = remove
	}
	update(c.byNamespace, r.NamespaceID, e)
	s := r.Spec
	if s == nil {
		return
	}
	for _, id := range s.PolicyIds {
		update(c.byPolicy, id, e)
	}
	if id := s.GetUpstreamTunnel().GetSshPolicyId(); id != "" {
		update(c.byPolicy, id, e)
	}
	for _, id := range []*string{s.TlsCustomCaKeyPairId, s.TlsClientKeyPairId, s.TlsDownstreamClientCaKeyPairId, s.KubernetesServiceAccountTokenKeyPairId} {
		if id != nil {
			update(c.byKeyPair, *id, e)
		}
	}
}

func add(m map[string]routeSet, key string, e *routeEntry) {
	set, ok := m[key]
	if !ok {
		set = routeSet{}
		m[key] = set
	}
	set[e] = struct{}{}
}

func remove(m map[string]routeSet, key string, e *routeEntry) {
	if set, ok := m[key]; ok {
		delete(set, e)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}
