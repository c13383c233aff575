package importer

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/store"
)

// planner compares a file with what its namespace holds and builds the
// writes that make the namespace hold the file.
type planner struct {
	ctx   context.Context
	s     store.Desired
	ns    string
	actor store.Actor
	now   time.Time

	// The namespace's objects by name: an object's identity across imports.
	routes   map[string]*store.Route
	policies map[string]*store.Policy
	keyPairs map[string]*store.KeyPair

	changes []Change
	ops     []store.Op
	// opChange is, for every op, the index of its change.
	opChange []int
	// refused are the routes of the file the plan leaves out, with why.
	refused []*RouteError
}

// step is one object of the plan: what happens to it and, unless it is
// unchanged, the write that does it.
type step struct {
	change Change
	op     store.Op
}

func newPlanner(ctx context.Context, s store.Desired, ns string, actor store.Actor) (*planner, error) {
	p := &planner{ctx: ctx, s: s, ns: ns, actor: actor, now: time.Now()}
	var err error
	if p.routes, err = byName[*store.Route](ctx, s, store.KindRoute, ns); err != nil {
		return nil, err
	}
	if p.policies, err = byName[*store.Policy](ctx, s, store.KindPolicy, ns); err != nil {
		return nil, err
	}
	if p.keyPairs, err = byName[*store.KeyPair](ctx, s, store.KindKeyPair, ns); err != nil {
		return nil, err
	}
	return p, nil
}

func byName[T store.Object](ctx context.Context, s store.Desired, k store.Kind, ns string) (map[string]T, error) {
	res, err := s.List(ctx, k, store.ListQuery{NamespaceID: ns})
	if err != nil {
		return nil, fmt.Errorf("list the %ss of namespace %s: %w", k, ns, err)
	}
	out := make(map[string]T, len(res.Objects))
	for _, obj := range res.Objects {
		out[obj.GetObjectMeta().Name] = obj.(T)
	}
	return out, nil
}

// plan builds the changes in write order: key pairs and policies before
// the routes that reference them. A route the store would refuse, or whose
// policy it would refuse, is left out of the plan with its policy and the key
// pairs only it uses, and recorded in p.refused: the plan is what the
// routes that can be written need.
func (p *planner) plan(f *File) error {
	if err := p.checkOwnership(f); err != nil {
		return err
	}
	keyPairs := make([]step, len(f.KeyPairs))
	keyPairIDs := make(map[*KeyPairSpec]string, len(f.KeyPairs))
	for i, kp := range f.KeyPairs {
		st, err := p.keyPair(kp)
		if err != nil {
			return fmt.Errorf("%s: key pair %q: %w", kp.Source, kp.Name, err)
		}
		keyPairs[i], keyPairIDs[kp] = st, st.change.ID
	}
	used := make(map[*KeyPairSpec]bool, len(f.KeyPairs))
	var policies, routes []step
	for _, r := range f.Routes {
		policy, route, err := p.routeSteps(r, keyPairIDs)
		if err != nil {
			p.refused = append(p.refused, err)
			continue
		}
		policies = append(policies, policy...)
		routes = append(routes, route)
		used[r.CustomCA], used[r.ClientCertificate], used[r.DownstreamClientCA] = true, true, true
	}
	for i, kp := range f.KeyPairs {
		if used[kp] {
			p.add(keyPairs[i])
		}
	}
	for _, st := range slices.Concat(policies, routes) {
		p.add(st)
	}
	return nil
}

// routeSteps plans a route and its policy, if it has one.
func (p *planner) routeSteps(r *RouteSpec, keyPairIDs map[*KeyPairSpec]string) (policy []step, route step, _ *RouteError) {
	var policyID string
	if r.PPL != "" {
		st, err := p.policy(r)
		if err != nil {
			return nil, step{}, routeError(r, "policy", err)
		}
		policy, policyID = []step{st}, st.change.ID
	}
	route, err := p.route(r, policyID, keyPairIDs)
	if err != nil {
		return nil, step{}, routeError(r, "", err)
	}
	return policy, route, nil
}

func routeError(r *RouteSpec, field string, err error) *RouteError {
	return &RouteError{List: r.List, Index: r.Index, From: r.Spec.From, Field: field, Err: err}
}

// add puts a step into the plan.
func (p *planner) add(st step) {
	if st.op != nil {
		p.opChange = append(p.opChange, len(p.changes))
		p.ops = append(p.ops, st.op)
	}
	p.changes = append(p.changes, st.change)
}

// checkOwnership refuses a file that names objects managed by Kubernetes:
// the store would refuse the write, and naming all of them at once saves a
// round of edits.
func (p *planner) checkOwnership(f *File) error {
	var clashes []string
	check := func(obj store.Object, ok bool) {
		if !ok {
			return
		}
		if m := obj.GetObjectMeta(); m.Origin == store.OriginKubernetes {
			clashes = append(clashes, fmt.Sprintf("%s %q (%s)", obj.Kind(), m.Name, m.OriginRef))
		}
	}
	for _, kp := range f.KeyPairs {
		obj, ok := p.keyPairs[kp.Name]
		check(obj, ok)
	}
	for _, r := range f.Routes {
		if r.PPL != "" {
			obj, ok := p.policies[r.PolicyName()]
			check(obj, ok)
		}
		obj, ok := p.routes[r.Name]
		check(obj, ok)
	}
	if len(clashes) > 0 {
		return errKubernetesOwned(clashes)
	}
	return nil
}

func (p *planner) keyPair(kp *KeyPairSpec) (step, error) {
	want := &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{NamespaceID: p.ns, Name: kp.Name},
		Certificate: kp.Certificate,
		PrivateKey:  kp.PrivateKey,
	}
	cur, ok := p.keyPairs[kp.Name]
	if !ok {
		return p.put(nil, want, kp.Source)
	}
	want.ID, want.OriginRef = cur.ID, cur.OriginRef
	same, err := p.sameKeyPair(cur, kp)
	switch {
	case err != nil:
		return step{}, err
	case same:
		return p.unchanged(cur, kp.Source), nil
	}
	return p.put(cur, want, kp.Source)
}

// sameKeyPair compares certificates by their DER bytes, so that a key pair
// uploaded with other PEM formatting still counts as the same, and reads the
// stored key only when the file has one to compare.
func (p *planner) sameKeyPair(cur *store.KeyPair, kp *KeyPairSpec) (bool, error) {
	stored, err := newKeyPairSpec("", cur.Certificate, nil)
	if err != nil || !bytes.Equal(stored.Certificate, kp.Certificate) {
		return false, nil
	}
	switch {
	case len(kp.PrivateKey) == 0:
		// An update without a key keeps the stored key anyway.
		return true, nil
	case !cur.HasPrivateKey:
		return false, nil
	}
	full, err := store.Get[*store.KeyPair](p.ctx, p.s, cur.ID, store.WithSecrets())
	if err != nil {
		return false, fmt.Errorf("read the stored key: %w", err)
	}
	return bytes.Equal(full.PrivateKey, kp.PrivateKey), nil
}

// policy plans the route's access policy. Only the PPL comes from the file:
// a description, explanation or enforcement set in the console is kept.
func (p *planner) policy(r *RouteSpec) (step, error) {
	want := &store.Policy{
		ObjectMeta:  store.ObjectMeta{NamespaceID: p.ns, Name: r.PolicyName()},
		PPL:         r.PPL,
		Description: fmt.Sprintf("Access rules of route %q, imported from a Pomerium configuration file.", r.Name),
	}
	cur, ok := p.policies[want.Name]
	if !ok {
		return p.put(nil, want, r.Source())
	}
	if cur.PPL == want.PPL {
		return p.unchanged(cur, r.Source()), nil
	}
	next := store.Clone(cur)
	next.PPL = want.PPL
	return p.put(cur, next, r.Source())
}

func (p *planner) route(r *RouteSpec, policyID string, keyPairIDs map[*KeyPairSpec]string) (step, error) {
	spec := proto.CloneOf(r.Spec)
	ref := func(kp *KeyPairSpec) *string {
		if kp == nil {
			return nil
		}
		return new(keyPairIDs[kp])
	}
	spec.TlsCustomCaKeyPairId = ref(r.CustomCA)
	spec.TlsClientKeyPairId = ref(r.ClientCertificate)
	spec.TlsDownstreamClientCaKeyPairId = ref(r.DownstreamClientCA)
	cur := p.routes[r.Name]
	spec.PolicyIds = p.attachedPolicies(cur, r.PolicyName(), policyID)
	want := &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: p.ns, Name: r.Name}, Spec: spec}
	if cur == nil {
		return p.put(nil, want, r.Source())
	}
	want.ID, want.OriginRef = cur.ID, cur.OriginRef
	// Validate normalises the spec as the store does before the comparison.
	if err := store.Validate(want, p.now, false); err != nil {
		return step{}, err
	}
	if proto.Equal(cur.Spec, want.Spec) {
		return p.unchanged(cur, r.Source()), nil
	}
	return p.put(cur, want, r.Source())
}

// attachedPolicies keeps the policies attached to an existing route in the
// console and puts the route's own policy (own, or none) where the previous
// one was, so that a second import computes the same list.
func (p *planner) attachedPolicies(cur *store.Route, policyName, own string) []string {
	var previous string
	if pol, ok := p.policies[policyName]; ok {
		previous = pol.ID
	}
	var ids []string
	placed := own == ""
	if cur != nil {
		for _, id := range cur.Spec.PolicyIds {
			if id != previous && id != own {
				ids = append(ids, id)
			} else if !placed {
				ids, placed = append(ids, own), true
			}
		}
	}
	if !placed {
		ids = append(ids, own)
	}
	return ids
}

func (p *planner) unchanged(cur store.Object, source string) step {
	m := cur.GetObjectMeta()
	return step{change: Change{
		Action: ActionUnchanged, Kind: cur.Kind(), ID: m.ID, Name: m.Name, Source: source, Object: withoutSecrets(cur),
	}}
}

// put plans the write of want, creating it when cur is nil. New objects get
// their id here so that the objects written before them in the same Apply
// can be referenced.
func (p *planner) put(cur, want store.Object, source string) (step, error) {
	m := want.GetObjectMeta()
	op := &store.PutOp{Object: want}
	change := Change{Kind: want.Kind(), Name: m.Name, Source: source}
	if cur == nil {
		m.ID = uuid.NewString()
		op.CreateOnly = true
		change.Action = ActionCreate
	} else {
		op.ExpectedVersion = cur.GetObjectMeta().Version
		change.Action = ActionUpdate
	}
	if err := store.Validate(want, p.now, cur == nil); err != nil {
		return step{}, err
	}
	if cur != nil {
		diff, err := p.diff(cur, want)
		if err != nil {
			return step{}, err
		}
		change.Diff = diff
	}
	change.ID, change.Object = m.ID, withoutSecrets(want)
	return step{change: change, op: op}, nil
}

func (p *planner) diff(cur, want store.Object) (string, error) {
	after := store.Clone(want)
	after.GetObjectMeta().Origin = p.actor.Origin
	a, err := store.Snapshot(cur)
	if err != nil {
		return "", err
	}
	b, err := store.Snapshot(after)
	if err != nil {
		return "", err
	}
	text, _, _ := store.Diff(a, b)
	return text, nil
}

func withoutSecrets(obj store.Object) store.Object {
	kp, ok := obj.(*store.KeyPair)
	if !ok {
		return obj
	}
	c := store.Clone(kp)
	c.HasPrivateKey = c.HasPrivateKey || len(c.PrivateKey) > 0
	c.PrivateKey = nil
	return c
}

func (p *planner) result(f *File) *Result {
	res := &Result{NamespaceID: p.ns, IgnoredKeys: f.IgnoredKeys, Plan: p.changes}
	names := map[store.Kind]*[]string{
		store.KindKeyPair: &res.KeyPairs, store.KindPolicy: &res.Policies, store.KindRoute: &res.Routes,
	}
	for _, c := range p.changes {
		switch c.Action {
		case ActionCreate:
			res.Created++
		case ActionUpdate:
			res.Updated++
		case ActionUnchanged:
			res.Unchanged++
		}
		if list, ok := names[c.Kind]; ok {
			*list = append(*list, c.Name)
		}
	}
	return res
}

// recordWritten puts the objects as the store wrote them (with versions and
// times) into the plan.
func (p *planner) recordWritten(res *Result, written []store.Object) {
	for i, obj := range written {
		if obj != nil {
			res.Plan[p.opChange[i]].Object = withoutSecrets(obj)
		}
	}
}
