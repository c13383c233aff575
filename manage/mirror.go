package manage

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/store"
)

// Mirror writes an object whose source of truth is outside the console (a
// Kubernetes resource) under the id it has there: a create when the store
// does not hold it yet, else an update; nothing at all when the store
// holds it as it is, so that an unchanged source adds nothing to the
// activity log. It takes the same checks as any writer of its kind (the
// role, compilation's checks, the policies a route names) and returns the
// object as stored. Namespaces, policies and routes have mirrors.
func (a *App) Mirror(ctx context.Context, c *Caller, obj store.Object) (store.Object, error) {
	m := obj.GetObjectMeta()
	if !store.ValidID(m.ID) {
		return nil, invalid("id", "must be a UUID")
	}
	have, err := a.store.Get(ctx, obj.Kind(), m.ID)
	switch {
	case err == nil && unchanged(have, obj, c.Origin):
		return have, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("read %s %s: %w", obj.Kind(), m.ID, err)
	}
	var op *store.PutOp
	switch o := obj.(type) {
	case *store.Namespace:
		op, err = a.namespacePut(ctx, c, NamespaceInput{Namespace: o, mirror: true})
	case *store.Policy:
		op, err = a.policyPut(ctx, c, PolicyInput{Policy: o, mirror: true})
	case *store.Route:
		op, err = a.routePut(ctx, c, RouteInput{Route: o, mirror: true})
	default:
		return nil, fmt.Errorf("mirror %s %s: %ss have no mirrors", obj.Kind(), m.ID, obj.Kind())
	}
	if err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, op.Object, op)
	if err != nil {
		return nil, err
	}
	return written[0], nil
}

// Unmirror deletes an object Mirror wrote, with the role its kind takes;
// one the store does not hold is gone already.
func (a *App) Unmirror(ctx context.Context, c *Caller, k store.Kind, id string) error {
	var err error
	switch k {
	case store.KindNamespace:
		err = a.DeleteNamespace(ctx, c, id)
	case store.KindPolicy:
		err = a.DeletePolicy(ctx, c, id, false)
	case store.KindRoute:
		err = a.DeleteRoute(ctx, c, id)
	default:
		return fmt.Errorf("unmirror %s %s: %ss have no mirrors", k, id, k)
	}
	if CodeOf(err) == CodeNotFound {
		return nil
	}
	return err
}

// ResolveNamespace returns the id of the namespace a reference names (an
// id, or a path of names from the Global namespace; see
// store.ResolveNamespace), one the caller may view.
func (a *App) ResolveNamespace(ctx context.Context, c *Caller, ref string) (string, error) {
	id, err := store.ResolveNamespace(ctx, a.store, ref)
	if err != nil {
		return "", fromStore(err, nil)
	}
	if err := c.require(View, id, ""); err != nil {
		return "", err
	}
	return id, nil
}

// unchanged reports whether the store holds want as it is, written through
// the same surface: then writing it again would change nothing.
func unchanged(have, want store.Object, origin store.Origin) bool {
	h, w := have.GetObjectMeta(), want.GetObjectMeta()
	if h.Origin != origin || h.Name != w.Name || h.NamespaceID != w.NamespaceID || h.OriginRef != w.OriginRef {
		return false
	}
	switch hv := have.(type) {
	case *store.Namespace:
		return true
	case *store.Policy:
		wv := want.(*store.Policy)
		return hv.Description == wv.Description && hv.PPL == wv.PPL && hv.Enforced == wv.Enforced &&
			hv.Explanation == wv.Explanation && hv.Remediation == wv.Remediation
	case *store.Route:
		return proto.Equal(hv.Spec, want.(*store.Route).Spec)
	}
	return false
}
