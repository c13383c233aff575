package importer

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/store"
)

// batchSize is how many routes of the file are planned together: one
// look-up of the namespace's objects by name serves them all.
const batchSize = 500

// planner compares a file with what its namespace holds and plans, route by
// route, the writes that make the namespace hold the file. It holds one
// batch of routes at a time, and what it must remember about the file's
// key pairs.
type planner struct {
	ctx   context.Context
	s     store.Desired
	ns    string
	actor store.Actor
	now   time.Time

	// keyPairs are the file's key pairs by name, planned before its routes;
	// each is handed over with the first route that uses it.
	keyPairs map[string]*keyPairStep

	// The namespace's objects of the current batch by name: an object's
	// identity across imports.
	routes   map[string]*store.Route
	policies map[string]*store.Policy

	// refused are the routes of the file the plan leaves out, with why,
	// and clashes the objects of the file that Kubernetes manages.
	refused []*RouteError
	clashes []string
	// done counts the routes planned, refused ones included, for progress.
	done     int
	progress func(routes int)
}

// step is one object of the plan: what happens to it and, unless it is
// unchanged, the write that does it.
type step struct {
	change Change
	op     store.Op
}

// keyPairStep is the plan of one key pair of the file.
type keyPairStep struct {
	step
	handedOver bool
}

func newPlanner(ctx context.Context, s store.Desired, ns string, actor store.Actor) *planner {
	return &planner{ctx: ctx, s: s, ns: ns, actor: actor, now: time.Now()}
}

// byName reads the objects of the namespace that have one of names.
func byName[T store.Object](ctx context.Context, s store.Desired, k store.Kind, ns string, names []string) (map[string]T, error) {
	out := make(map[string]T, len(names))
	if len(names) == 0 {
		return out, nil
	}
	res, err := s.List(ctx, k, store.ListQuery{NamespaceID: ns, Names: names})
	if err != nil {
		return nil, fmt.Errorf("list the %ss of namespace %s: %w", k, ns, err)
	}
	for _, obj := range res.Objects {
		out[obj.GetObjectMeta().Name] = obj.(T)
	}
	return out, nil
}

// run plans the file, handing every step to next in write order: each
// route after the key pairs it is the first to use and its policy. A route
// the store would refuse, or whose policy it would refuse, is left out with
// its policy and recorded in p.refused; an object the file names that
// Kubernetes manages, in p.clashes. next may stop the run with an error.
func (p *planner) run(f *File, next func(step) error) error {
	if err := p.planKeyPairs(f.KeyPairs); err != nil {
		return err
	}
	batch := make([]*RouteSpec, 0, batchSize)
	err := f.eachRoute(func(r *RouteSpec) error {
		if batch = append(batch, r); len(batch) < batchSize {
			return nil
		}
		err := p.planBatch(batch, next)
		batch = batch[:0]
		return err
	})
	if err != nil {
		return err
	}
	return p.planBatch(batch, next)
}

// planKeyPairs plans every key pair of the file; they are few, and one the
// store would refuse stops the import.
func (p *planner) planKeyPairs(kps []*KeyPairSpec) error {
	p.keyPairs = make(map[string]*keyPairStep, len(kps))
	for start := 0; start < len(kps); start += batchSize {
		batch := kps[start:min(start+batchSize, len(kps))]
		names := make([]string, len(batch))
		for i, kp := range batch {
			names[i] = kp.Name
		}
		stored, err := byName[*store.KeyPair](p.ctx, p.s, store.KindKeyPair, p.ns, names)
		if err != nil {
			return err
		}
		for _, kp := range batch {
			cur, ok := stored[kp.Name]
			p.checkOwnership(cur, ok)
			st, err := p.keyPair(kp, cur)
			if err != nil {
				return fmt.Errorf("%s: key pair %q: %w", kp.Source, kp.Name, err)
			}
			p.keyPairs[kp.Name] = &keyPairStep{step: st}
		}
	}
	return nil
}

// planBatch plans a batch of routes against the objects of the namespace
// that bear their names.
func (p *planner) planBatch(batch []*RouteSpec, next func(step) error) error {
	if len(batch) == 0 {
		return nil
	}
	// A route's policy is looked up even when the file gives the route
	// none: attachedPolicies takes the one a former import gave it off.
	routeNames, policyNames := make([]string, len(batch)), make([]string, len(batch))
	for i, r := range batch {
		routeNames[i], policyNames[i] = r.Name, r.PolicyName()
	}
	var err error
	if p.routes, err = byName[*store.Route](p.ctx, p.s, store.KindRoute, p.ns, routeNames); err != nil {
		return err
	}
	if p.policies, err = byName[*store.Policy](p.ctx, p.s, store.KindPolicy, p.ns, policyNames); err != nil {
		return err
	}
	for _, r := range batch {
		if r.PPL != "" {
			cur, ok := p.policies[r.PolicyName()]
			p.checkOwnership(cur, ok)
		}
		cur, ok := p.routes[r.Name]
		p.checkOwnership(cur, ok)
		p.done++
		if p.progress != nil {
			p.progress(p.done)
		}
		policy, route, err := p.routeSteps(r)
		if err != nil {
			p.refused = append(p.refused, err)
			continue
		}
		for _, kp := range []*KeyPairSpec{r.CustomCA, r.DownstreamClientCA, r.ClientCertificate} {
			if st := p.keyPairs[keyPairName(kp)]; st != nil && !st.handedOver {
				st.handedOver = true
				if err := next(st.step); err != nil {
					return err
				}
			}
		}
		for _, st := range append(policy, route) {
			if err := next(st); err != nil {
				return err
			}
		}
	}
	return nil
}

func keyPairName(kp *KeyPairSpec) string {
	if kp == nil {
		return ""
	}
	return kp.Name
}

// routeSteps plans a route and its policy, if it has one.
func (p *planner) routeSteps(r *RouteSpec) (policy []step, route step, _ *RouteError) {
	var policyID string
	if r.PPL != "" {
		st, err := p.policy(r)
		if err != nil {
			return nil, step{}, routeError(r, "policy", err)
		}
		policy, policyID = []step{st}, st.change.ID
	}
	route, err := p.route(r, policyID)
	if err != nil {
		return nil, step{}, routeError(r, "", err)
	}
	return policy, route, nil
}

func routeError(r *RouteSpec, field string, err error) *RouteError {
	return &RouteError{List: r.List, Index: r.Index, From: r.Spec.From, Field: field, Err: err}
}

// checkOwnership notes an object of the file that Kubernetes manages: the
// store would refuse the write, and naming all of them at once saves a
// round of edits.
func (p *planner) checkOwnership(obj store.Object, ok bool) {
	if !ok {
		return
	}
	if m := obj.GetObjectMeta(); m.Origin == store.OriginKubernetes {
		p.clashes = append(p.clashes, fmt.Sprintf("%s %q (%s)", obj.Kind(), m.Name, m.OriginRef))
	}
}

// keyPair plans a key pair of the file against the stored one of its name,
// if any.
func (p *planner) keyPair(kp *KeyPairSpec, cur *store.KeyPair) (step, error) {
	want := &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{NamespaceID: p.ns, Name: kp.Name},
		Certificate: kp.Certificate,
		PrivateKey:  kp.PrivateKey,
	}
	if cur == nil {
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

func (p *planner) route(r *RouteSpec, policyID string) (step, error) {
	spec := proto.CloneOf(r.Spec)
	ref := func(kp *KeyPairSpec) *string {
		if kp == nil {
			return nil
		}
		return new(p.keyPairs[kp.Name].change.ID)
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
