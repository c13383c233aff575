package compile

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/store"
)

// Compiler compiles desired state and keeps what it compiled, so that a
// change recompiles only what it touches: a changed route, the routes that
// claim the same requests, and the routes whose namespace, policies or key
// pairs changed in a way that shows in their record or status. Namespaces,
// key pairs, policies and settings are few and are compiled together
// whenever one of them changes. The outcome is always the one Compile gives
// for the same objects.
//
// Reset and Apply never change what they are given. The compiler keeps
// references to the namespaces, policies, key pairs and settings, which
// must not change afterwards, and copies what it keeps of routes.
// ResetOwned and ApplyOwned take the routes over instead: a caller that
// reads desired state only to compile it saves copying every route spec.
//
// Reset, ResetOwned, Apply and ApplyOwned need the compiler to themselves;
// the methods that read it (Record among them) may be called at once.
type Compiler struct {
	namespaces map[string]*store.Namespace
	policies   map[string]*store.Policy
	keyPairs   map[string]*store.KeyPair
	settings   map[string]*store.Settings
	routes     map[string]*routeEntry

	// deps is the last compilation of everything but the routes; the
	// routes are compiled against it.
	deps *compiler
	sigs signatures
	ppl  map[string]error

	// claims holds a route making each claim (matchKey), and contested
	// every route of a claim made by more than one. Nearly every claim is
	// one route's: at a million routes a slice of ids per claim was about
	// 40 bytes a route more.
	claims    map[claimKey]*routeEntry
	contested map[claimKey][]*routeEntry
	// Routes by what they reference.
	byNamespace, byPolicy, byKeyPair map[string]routeSet

	// unemitted are the valid routes compiled since their record was last
	// emitted: their digest is not known yet. emitMu guards it and the
	// digests of the routes in it: Digest, Changed and Record may be called
	// by readers at once.
	emitMu    sync.Mutex
	unemitted idSet

	// routesRemoved counts the routes taken out of routes (see
	// RoutesRemoved).
	routesRemoved uint64

	// deferAbove is how many routes a change may check again at once
	// before it leaves the rest to CheckDeferred (0: none left); deferred
	// are the routes left.
	deferAbove int
	deferred   routeSet
	// deferredOrder holds the deferred routes in the order of their ids,
	// and maybe some no longer deferred; nil when not built. The first
	// CheckDeferred of a slice (0 < n < Deferred()) after a change
	// deferred more builds it, and one that finds more of it no longer
	// deferred than deferred builds it again. A slice of the routes is
	// then a run of neighbouring keys, and so are the statuses and records
	// the loop writes of it: a store writes each page of its statuses
	// about once a change, not once per status.
	deferredOrder []*routeEntry
}

type idSet = map[string]struct{}

// routeSet is a set of route entries: a pointer takes half the memory of
// an id in a map, and a million routes are filed under what they
// reference.
type routeSet = map[*routeEntry]struct{}

// NewCompiler returns a compiler holding no objects.
func NewCompiler() *Compiler {
	c := &Compiler{
		namespaces:  map[string]*store.Namespace{},
		policies:    map[string]*store.Policy{},
		keyPairs:    map[string]*store.KeyPair{},
		settings:    map[string]*store.Settings{},
		routes:      map[string]*routeEntry{},
		ppl:         map[string]error{},
		claims:      map[claimKey]*routeEntry{},
		contested:   map[claimKey][]*routeEntry{},
		byNamespace: map[string]routeSet{}, byPolicy: map[string]routeSet{}, byKeyPair: map[string]routeSet{},
		unemitted: idSet{},
		deferred:  routeSet{},
	}
	c.deps = c.compileDeps()
	c.sigs = c.deps.signatures()
	return c
}

// Reset makes the compiler hold exactly the objects of st and returns the
// objects whose record or status may have changed. An object of the same
// kind, id and non-zero version as one already held counts as unchanged.
// st is left as it was.
func (c *Compiler) Reset(st *store.State) []ObjectKey { return c.reset(st, false) }

// ResetOwned is Reset for a caller that hands the routes of st over: the
// compiler keeps their specs' encodings instead of copying them, hands each
// spec back once it is compiled (store.RecycleRouteSpec), and sets each
// entry of st.Routes to nil as it takes it, so that each decoded route can
// be freed as soon as it is compiled. The caller must not use the routes
// afterwards.
func (c *Compiler) ResetOwned(st *store.State) []ObjectKey { return c.reset(st, true) }

func (c *Compiler) reset(st *store.State, owned bool) []ObjectKey {
	if st == nil {
		st = &store.State{}
	}
	var changes []store.Change
	seen := map[ObjectKey]bool{}
	add := func(o store.Object) {
		m := o.GetObjectMeta()
		key := ObjectKey{Kind: o.Kind(), ID: m.ID}
		seen[key] = true
		if held, ok := c.object(key); !ok || m.Version == 0 || held.GetObjectMeta().Version != m.Version {
			changes = append(changes, store.Change{Kind: key.Kind, ID: key.ID, Version: m.Version, Object: o})
		}
	}
	for _, o := range st.Namespaces {
		add(o)
	}
	for _, o := range st.KeyPairs {
		add(o)
	}
	for _, o := range st.Policies {
		add(o)
	}
	if st.Settings != nil {
		s := *st.Settings
		if s.ID == "" {
			s.ID = store.SettingsID
		}
		add(&s)
	}
	for _, o := range st.ClusterSettings {
		add(o)
	}
	for i, o := range st.Routes {
		add(o)
		if owned {
			st.Routes[i] = nil
		}
	}
	for key := range c.All() {
		if !seen[key] {
			changes = append(changes, store.Change{Kind: key.Kind, ID: key.ID})
		}
	}
	return c.apply(changes, owned)
}

// Apply takes in changed objects (a nil Object deletes) and returns the
// objects whose record or status may have changed. Kinds that compile into
// nothing are ignored. changes and their objects are left as they were.
func (c *Compiler) Apply(changes []store.Change) []ObjectKey { return c.apply(changes, false) }

// ApplyOwned is Apply for a caller that hands the routes among changes
// over, as ResetOwned does those of a state: it sets the Object of each
// route change to nil as it takes it. The caller must not use the routes
// afterwards.
func (c *Compiler) ApplyOwned(changes []store.Change) []ObjectKey { return c.apply(changes, true) }

func (c *Compiler) apply(changes []store.Change, owned bool) []ObjectKey {
	touched := map[ObjectKey]struct{}{}
	routes := 0
	for _, ch := range changes {
		if ch.Kind == store.KindRoute {
			routes++
		}
	}
	// A first load's parts are thousands of routes each.
	w := newRouteWork(routes, 0)
	var direct changedDeps
	// policiesOnly says that no object but policies and routes changed,
	// and no policy moved to another namespace or went.
	policiesOnly := true
	for i, ch := range changes {
		switch ch.Kind {
		case store.KindRoute:
			c.putRoute(ch.ID, ch.Object, owned, w)
			if owned {
				changes[i].Object = nil
			}
			continue
		case store.KindNamespace:
			setOrDelete(c.namespaces, ch.ID, ch.Object)
			direct.namespaces = append(direct.namespaces, ch.ID)
		case store.KindPolicy:
			if old, ok := c.policies[ch.ID]; ok {
				p, _ := ch.Object.(*store.Policy)
				policiesOnly = policiesOnly && p != nil && p.NamespaceID == old.NamespaceID
			}
			setOrDelete(c.policies, ch.ID, ch.Object)
		case store.KindKeyPair:
			setOrDelete(c.keyPairs, ch.ID, ch.Object)
			direct.keyPairs = append(direct.keyPairs, ch.ID)
		case store.KindSettings:
			setOrDelete(c.settings, ch.ID, ch.Object)
		default:
			continue // compiles into nothing
		}
		direct.any = true
		policiesOnly = policiesOnly && ch.Kind == store.KindPolicy
		touched[ObjectKey{Kind: ch.Kind, ID: ch.ID}] = struct{}{}
	}
	if direct.any {
		before := c.deps
		c.deps = c.compileDeps()
		sigs := c.deps.signatures()
		deps := routeSet{}
		c.affected(direct, sigs, deps)
		c.sigs = sigs
		if !policiesOnly {
			// Any of these may change the outcome of any other: report all
			// of them, from before and after. A policy's outcome rests on
			// itself and the namespaces, and no other's but the routes' on
			// policies: a change of policies alone touches those policies.
			for _, d := range []*compiler{before, c.deps} {
				for key := range d.status {
					touched[key] = struct{}{}
				}
			}
		}
		if policiesOnly && !lostRecords(before, c.deps) {
			if c.deferAbove > 0 && len(deps) > c.deferAbove {
				c.deferRechecks(deps, w)
				deps = nil
			}
		} else {
			// A route left with its last outcome may name a policy whose
			// record goes now (an enforced one it no longer has), or
			// whose record moves: every one is checked, and the pass
			// writes them before the record goes.
			maps.Copy(deps, c.deferred)
		}
		if len(w.recheck) == 0 {
			w.recheck = make(idSet, len(deps))
		}
		for e := range deps {
			w.recheck[e.meta.ID] = struct{}{}
		}
	}
	c.compileRoutes(w)
	return routeKeys(w, touched)
}

// routeKeys returns the objects of touched, which are not routes, and the
// routes w touched, in order.
func routeKeys(w *routeWork, touched map[ObjectKey]struct{}) []ObjectKey {
	keys := make([]ObjectKey, 0, len(touched)+len(w.touched))
	for key := range touched {
		keys = append(keys, key)
	}
	for id := range w.touched {
		keys = append(keys, ObjectKey{Kind: store.KindRoute, ID: id})
	}
	slices.SortFunc(keys, CompareKeys)
	return keys
}

// lostRecords reports whether an object had a record in one compilation
// and has none in the next.
func lostRecords(before, after *compiler) bool {
	for key := range before.records {
		if _, ok := after.records[key]; !ok {
			return true
		}
	}
	return false
}

// DeferChecks makes a change of policies alone that would check more than
// n routes again leave those routes to CheckDeferred: until then each keeps
// the outcome (record and status) of its last check, which is what a
// compilation before the change gave it. Only such a change defers, and
// only when no policy goes, moves to another namespace or loses its
// record: it renames no namespace and moves no object to another cluster,
// and every record a route left with its last outcome names stays. Any
// other change checks every route left, with its own. Routes written in
// the change are checked at once, and a route left is checked before it
// settles with others of its claim. n of 0 defers nothing.
//
// A caller that defers must check what is left before it takes the
// compiled state for desired state as a whole: Deferred tells how much
// that is.
func (c *Compiler) DeferChecks(n int) { c.deferAbove = n }

// Reserve makes room for routes routes in a compiler that holds none yet,
// as a first load's would grow its maps of routes and of their claims from
// empty, each growth copying what they held.
func (c *Compiler) Reserve(routes int) {
	if len(c.routes) > 0 || routes <= 0 {
		return
	}
	c.routes = make(map[string]*routeEntry, routes)
	c.claims = make(map[claimKey]*routeEntry, routes)
}

// Deferred reports how many routes wait to be checked again (see
// DeferChecks).
func (c *Compiler) Deferred() int { return len(c.deferred) }

// CheckDeferred checks again up to n of the routes that wait for it (all
// of them for a negative n), those of the lowest ids first, and returns
// the objects whose record or status may have changed, as Apply does.
func (c *Compiler) CheckDeferred(n int) []ObjectKey {
	if n == 0 || len(c.deferred) == 0 {
		return nil
	}
	size := len(c.deferred)
	if n > 0 {
		size = min(n, size)
	}
	w := newRouteWork(0, size)
	if n < 0 || n >= len(c.deferred) {
		for e := range c.deferred {
			w.recheck[e.meta.ID] = struct{}{}
		}
	} else {
		if len(c.deferredOrder) > 2*len(c.deferred) {
			// Most are no longer deferred (edited, deleted or checked
			// with a change): let go of them.
			c.deferredOrder = nil
		}
		if c.deferredOrder == nil {
			c.deferredOrder = inIDOrder(c.deferred)
		}
		for len(w.recheck) < n && len(c.deferredOrder) > 0 {
			e := c.deferredOrder[0]
			c.deferredOrder[0] = nil
			c.deferredOrder = c.deferredOrder[1:]
			if _, ok := c.deferred[e]; ok {
				w.recheck[e.meta.ID] = struct{}{}
			}
		}
	}
	c.compileRoutes(w)
	return routeKeys(w, nil)
}

// inIDOrder returns the routes of set in the order of their ids.
func inIDOrder(set routeSet) []*routeEntry {
	return slices.SortedFunc(maps.Keys(set), func(a, b *routeEntry) int { return strings.Compare(a.meta.ID, b.meta.ID) })
}

// deferRechecks leaves to CheckDeferred the routes of deps, whose check a
// change of policies calls for, but those written in the same change.
func (c *Compiler) deferRechecks(deps routeSet, w *routeWork) {
	for e := range deps {
		if len(w.check) > 0 {
			if _, written := w.check[e.meta.ID]; written {
				continue
			}
		}
		c.deferred[e] = struct{}{}
	}
	c.deferredOrder = nil
}

// Record returns the target record of an object, or nil when the object
// has none (invalid, deleted, or of a kind without records). A route's
// record is encoded when asked for, from what the compiler keeps of the
// route, and not kept: the compiler keeps its digest.
func (c *Compiler) Record(key ObjectKey) *databroker.Record {
	rec, _ := c.Changed(key, nil)
	return rec
}

// digest identifies the data of an object's target record, false when the
// object has none (see Record): what the diff compares, through Changed.
func (c *Compiler) digest(key ObjectKey) (Digest, bool) {
	if key.Kind == store.KindRoute {
		e, ok := c.routes[key.ID]
		if !ok || !e.hasRecord {
			return Digest{}, false
		}
		return c.routeDigest(e), true
	}
	if rec := c.deps.records[key]; rec != nil {
		return DigestOf(rec.GetData().GetValue()), true
	}
	return Digest{}, false
}

// RouteLook is what a comparison of a route with the databroker and the
// stored statuses reads of it: what Version, Owner, Status and Changed
// each find, read with one lookup of the route. At a million routes a
// resync makes that comparison for every route.
type RouteLook struct {
	Version int64
	// Owner is the cluster of the route's namespace (see Owner); the
	// route's record belongs in no other cluster's databroker.
	Owner  string
	Status Status
	// HasRecord says the route has a target record, whose data Digest
	// identifies when the route is the cluster's LookRoute was asked for
	// (zero otherwise).
	HasRecord bool
	Digest    Digest
}

// LookRoute returns what a comparison for cluster reads of the route id,
// false when the compiler does not hold it. A record of the cluster's not
// encoded since the route last changed is encoded to know its digest, as
// Changed would; another cluster's is not.
func (c *Compiler) LookRoute(id, cluster string) (RouteLook, bool) {
	e, ok := c.routes[id]
	if !ok {
		return RouteLook{}, false
	}
	l := RouteLook{Version: e.meta.Version, Owner: c.deps.clusterOf(e.meta.NamespaceID), Status: e.status(), HasRecord: e.hasRecord}
	if e.hasRecord && l.Owner == cluster {
		l.Digest = c.routeDigest(e)
	}
	return l, true
}

// routeDigest returns the digest of a route's record data, encoding the
// record first if it was not since the route last changed. e has a record.
func (c *Compiler) routeDigest(e *routeEntry) Digest {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	// Between passes nothing waits to be encoded, and the entry's id,
	// outside its first cache line, is not read (see routeEntry).
	if len(c.unemitted) > 0 {
		if _, ok := c.unemitted[e.meta.ID]; ok {
			c.emitLocked(e)
		}
	}
	return e.digest
}

// Changed returns the target record of an object unless its data has the
// digest held (nil: none is held); has says whether the object has a record
// at all. A route's record is encoded at most once for it, and nothing of
// it is kept.
func (c *Compiler) Changed(key ObjectKey, held *Digest) (rec *databroker.Record, has bool) {
	if key.Kind != store.KindRoute {
		rec = c.deps.records[key]
		if rec == nil {
			return nil, false
		}
		if held != nil && DigestOf(rec.GetData().GetValue()) == *held {
			return nil, true
		}
		return rec, true
	}
	e, ok := c.routes[key.ID]
	if !ok || !e.hasRecord {
		return nil, false
	}
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	var data []byte
	if _, ok := c.unemitted[key.ID]; ok {
		data = c.emitLocked(e)
	}
	if held != nil && *held == e.digest {
		return nil, true
	}
	if data == nil {
		data = c.emitLocked(e)
	}
	// The entry's id, which the view can keep as its own, not a copy.
	return routeRecord(e.meta.ID, data), true
}

// emitLocked encodes a route's record data and notes its digest if it was
// not known; emitMu is held.
func (c *Compiler) emitLocked(e *routeEntry) []byte {
	data, err := c.deps.emitRoute(e)
	if err != nil {
		// Settling a route checked that its record encodes: a route
		// whose record does not is invalid and has none.
		panic(fmt.Sprintf("route %s: a valid route's record does not encode: %v", e.meta.ID, err))
	}
	if _, ok := c.unemitted[e.meta.ID]; ok {
		e.digest = DigestOf(data)
		delete(c.unemitted, e.meta.ID)
	}
	return data
}

// HasRecord reports whether an object has a target record.
func (c *Compiler) HasRecord(key ObjectKey) bool {
	if key.Kind == store.KindRoute {
		e, ok := c.routes[key.ID]
		return ok && e.hasRecord
	}
	return c.deps.records[key] != nil
}

// Status returns the outcome of compiling an object, and false when the
// compiler holds no such object.
func (c *Compiler) Status(key ObjectKey) (Status, bool) {
	if key.Kind == store.KindRoute {
		if e, ok := c.routes[key.ID]; ok {
			return e.status(), true
		}
		return Status{}, false
	}
	s, ok := c.deps.status[key]
	return s, ok
}

// Version returns the version of the object the compiler holds under key.
func (c *Compiler) Version(key ObjectKey) (int64, bool) {
	if key.Kind == store.KindRoute {
		// The status writer asks for every route on a full pass: read the
		// kept metadata rather than build a route around it.
		if e, ok := c.routes[key.ID]; ok {
			return e.meta.Version, true
		}
		return 0, false
	}
	if o, ok := c.object(key); ok {
		return o.GetObjectMeta().Version, true
	}
	return 0, false
}

// Lacks returns the objects of keys the compiler does not hold.
func (c *Compiler) Lacks(keys []ObjectKey) []ObjectKey {
	var out []ObjectKey
	for _, k := range keys {
		if _, ok := c.Version(k); !ok {
			out = append(out, k)
		}
	}
	return out
}

// Owner returns the cluster an object belongs to, whose reconciler reports
// its status: the cluster of its namespace, for settings the cluster they
// are of; the default cluster for an object the compiler does not hold.
func (c *Compiler) Owner(key ObjectKey) string {
	switch key.Kind {
	case store.KindSettings:
		return SettingsCluster(key.ID)
	case store.KindNamespace:
		return c.deps.clusterOf(key.ID)
	case store.KindRoute:
		if e, ok := c.routes[key.ID]; ok {
			return c.deps.clusterOf(e.meta.NamespaceID)
		}
	default:
		if o, ok := c.object(key); ok {
			return c.deps.clusterOf(o.GetObjectMeta().NamespaceID)
		}
	}
	return store.DefaultClusterID
}

// Belongs reports whether the record of an object belongs in the
// databroker of cluster: its owner's, and for a policy of a namespace above
// a cluster's namespace that cluster's too (it guards the cluster's routes),
// and for a key pair the databrokers of the clusters whose settings name
// it among their certificates. Safe for concurrent use with itself, not
// with Apply or Reset.
func (c *Compiler) Belongs(key ObjectKey, cluster string) bool {
	if c.Owner(key) == cluster {
		return true
	}
	if cluster == store.DefaultClusterID {
		return false
	}
	switch key.Kind {
	case store.KindPolicy:
		p, ok := c.policies[key.ID]
		return ok && c.deps.above(p.NamespaceID, cluster)
	case store.KindKeyPair:
		return slices.Contains(c.deps.settingsKeyPairs[key.ID], cluster)
	}
	return false
}

// Keys returns every object the compiler holds, in no particular order.
func (c *Compiler) Keys() []ObjectKey {
	return slices.AppendSeq(make([]ObjectKey, 0, c.Len()), c.All())
}

// Compiles reports whether objects of kind k take part in compilation.
func Compiles(k store.Kind) bool {
	switch k {
	case store.KindNamespace, store.KindPolicy, store.KindKeyPair, store.KindSettings, store.KindRoute:
		return true
	}
	return false
}

// Len returns how many objects the compiler holds.
func (c *Compiler) Len() int {
	return len(c.namespaces) + len(c.policies) + len(c.keyPairs) + len(c.settings) + len(c.routes)
}

// Result returns every target record, in write order, and every status.
func (c *Compiler) Result() *Result {
	status := make(map[ObjectKey]Status, c.Len())
	maps.Copy(status, c.deps.status)
	records := slices.Collect(maps.Values(c.deps.records))
	for id, e := range c.routes {
		status[ObjectKey{Kind: store.KindRoute, ID: id}] = e.status()
		if rec, ok := c.Changed(ObjectKey{Kind: store.KindRoute, ID: id}, nil); ok {
			records = append(records, rec)
		}
	}
	order := make(map[string]int, len(RecordTypes))
	for i, t := range RecordTypes {
		order[t] = i
	}
	slices.SortFunc(records, func(a, b *databroker.Record) int {
		return cmp.Or(cmp.Compare(order[a.Type], order[b.Type]), strings.Compare(a.Id, b.Id))
	})
	return &Result{Records: records, Status: status}
}

func (c *Compiler) object(key ObjectKey) (store.Object, bool) {
	switch key.Kind {
	case store.KindNamespace:
		return lookup(c.namespaces, key.ID)
	case store.KindPolicy:
		return lookup(c.policies, key.ID)
	case store.KindKeyPair:
		return lookup(c.keyPairs, key.ID)
	case store.KindSettings:
		return lookup(c.settings, key.ID)
	case store.KindRoute:
		if e, ok := c.routes[key.ID]; ok {
			return &store.Route{ObjectMeta: e.meta.objectMeta()}, true // the spec stays encoded
		}
	}
	return nil, false
}

// routeRecord wraps a route's record data, kept encoded by the compiler, in
// a record.
func routeRecord(id string, data []byte) *databroker.Record {
	return &databroker.Record{Type: RecordTypeRoute, Id: id, Data: &anypb.Any{TypeUrl: RecordTypeRoute, Value: data}}
}

func lookup[T store.Object](m map[string]T, id string) (store.Object, bool) {
	o, ok := m[id]
	return o, ok
}

// RoutesRemoved counts the routes the compiler let go of: a walk (All)
// paused while the count moved may have yielded a route twice, one removed
// and added again.
func (c *Compiler) RoutesRemoved() uint64 { return c.routesRemoved }

// All yields every object the compiler holds, in no particular order, as
// ranging over its maps does. A walk may be paused between two pulls
// (iter.Pull) while whoever holds the compiler changes it: an object added
// or removed meanwhile may be yielded or not, and one removed and added
// again may be yielded twice (a route replaced keeps its place, and is
// yielded once); every other object is yielded once.
func (c *Compiler) All() iter.Seq[ObjectKey] {
	return func(yield func(ObjectKey) bool) {
		_ = yieldKeys(c.namespaces, store.KindNamespace, yield) &&
			yieldKeys(c.policies, store.KindPolicy, yield) &&
			yieldKeys(c.keyPairs, store.KindKeyPair, yield) &&
			yieldKeys(c.settings, store.KindSettings, yield) &&
			yieldKeys(c.routes, store.KindRoute, yield)
	}
}

// yieldKeys yields the key of each object of m, of kind k, and reports
// whether yield wants more.
func yieldKeys[T any](m map[string]T, k store.Kind, yield func(ObjectKey) bool) bool {
	for id := range m {
		if !yield(ObjectKey{Kind: k, ID: id}) {
			return false
		}
	}
	return true
}

// compileDeps compiles everything but the routes, in id order.
func (c *Compiler) compileDeps() *compiler {
	st := &store.State{
		Namespaces: sortedValues(c.namespaces),
		Policies:   sortedValues(c.policies),
		KeyPairs:   sortedValues(c.keyPairs),
	}
	for _, s := range sortedValues(c.settings) {
		st.Add(s)
	}
	d := newCompiler(st)
	used := make(map[string]error, len(st.Policies))
	d.validatePPL = func(ppl string) error {
		err, ok := c.ppl[ppl]
		if !ok {
			err = ValidatePPL(ppl)
		}
		used[ppl] = err
		return err
	}
	d.compileAllButRoutes()
	c.ppl = used // only what is in use is worth keeping
	return d
}

// CompareKeys orders object keys by kind, then id, byte by byte: the order
// of the embedded store's status table.
func CompareKeys(a, b ObjectKey) int {
	return cmp.Or(strings.Compare(string(a.Kind), string(b.Kind)), strings.Compare(a.ID, b.ID))
}

func setOrDelete[T store.Object](m map[string]T, id string, o store.Object) {
	if t, ok := o.(T); ok {
		m[id] = t
		return
	}
	delete(m, id)
}

func sortedValues[T store.Object](m map[string]T) []T {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(a.GetObjectMeta().ID, b.GetObjectMeta().ID) })
	return out
}
