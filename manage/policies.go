package manage

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// Policy is a policy as a caller sees it, with what is computed for it.
type Policy struct {
	*store.Policy
	Status        *store.ObjectStatus
	NamespaceName string
	// Routes are the routes that use the policy, id to name, when the call
	// asked for them (WithRoutes); nil otherwise. Naming every route that
	// uses a policy takes a while at 100,000 routes: a surface that pages
	// through them itself (UsedBy) does not ask.
	Routes map[string]string
}

// PolicyInput is a policy to write: a create when its id is empty.
type PolicyInput struct {
	Policy *store.Policy
	// ExpectedVersion, when set, is the version the caller read: an object
	// at another version is not written (CodeConflict). Unset, the write is
	// pinned to the version the use case read.
	ExpectedVersion *int64
	// Reads says what the policy written comes back with.
	Reads PolicyReads
	// Create makes the write a create even when the policy names an id: it
	// takes that id, and one stored with it already is CodeAlreadyExists.
	Create bool
	// mirror: the policy keeps the id it has at its source (Mirror).
	mirror bool
}

// PolicyReads says what a read of policies computes.
type PolicyReads struct {
	// WithRoutes names the routes that use each policy.
	WithRoutes bool
}

// GetPolicy reads a policy the caller may view.
func (a *App) GetPolicy(ctx context.Context, c *Caller, id string, r PolicyReads) (*Policy, error) {
	p, err := get[*store.Policy](ctx, a, c, "id", id)
	if err != nil {
		return nil, err
	}
	return one(a.policyViews(ctx, c, r, p))
}

// ListPolicies reads a page of the policies of a namespace the caller may
// view.
func (a *App) ListPolicies(ctx context.Context, c *Caller, q ListQuery, r PolicyReads) (*Page[*Policy], error) {
	page, err := list[*store.Policy](ctx, a, c, store.KindPolicy, q)
	if err != nil {
		return nil, err
	}
	views, err := a.policyViews(ctx, c, r, page.Items...)
	if err != nil {
		return nil, err
	}
	return &Page[*Policy]{Items: views, Total: page.Total, More: page.More}, nil
}

// SetPolicy creates or updates a policy. A policy that is not enforced
// takes EditPolicies, an enforced one (or one being enforced, or one that
// was) EnforcePolicies, where it is and where it was; PPL that does not
// parse is refused.
func (a *App) SetPolicy(ctx context.Context, c *Caller, in PolicyInput) (*Policy, error) {
	op, err := a.policyPut(ctx, c, in)
	if err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, op.Object, op)
	if err != nil {
		return nil, err
	}
	return one(a.policyViews(ctx, c, in.Reads, written[0].(*store.Policy)))
}

// policyPut checks a policy to write and returns its write, pinned to the
// version of the stored policy the decision was taken on.
func (a *App) policyPut(ctx context.Context, c *Caller, in PolicyInput) (*store.PutOp, error) {
	if in.Policy == nil {
		return nil, invalid("", "a policy is required")
	}
	p := store.Clone(in.Policy)
	if !store.ValidID(p.NamespaceID) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	// The store bounds the size; checked before parsing too, so that a
	// huge document is refused without being parsed.
	if len(p.PPL) > store.MaxPPLSize {
		return nil, invalid("ppl", "is %d bytes long, at most %d allowed", len(p.PPL), store.MaxPPLSize)
	}
	if err := compile.ValidatePPL(p.PPL); err != nil {
		return nil, invalid("ppl", "%v", err)
	}
	op := &store.PutOp{Object: p}
	if p.ID == "" {
		p.ID, op.CreateOnly = uuid.NewString(), true
	} else if in.Create {
		if !store.ValidID(p.ID) {
			return nil, invalid("id", "must be a UUID")
		}
		op.CreateOnly = true
	} else if old, found, err := prior[*store.Policy](ctx, a, c, op, in.mirror); err != nil {
		return nil, err
	} else if found {
		if err := c.permit(policyAction(old), old.NamespaceID); err != nil {
			return nil, err
		}
		if old.NamespaceID != p.NamespaceID {
			if err := c.crossing(old.NamespaceID, p.NamespaceID); err != nil {
				return nil, err
			}
			if err := a.policiesStayInReach(ctx, c, []string{p.ID}, func(string) string { return p.NamespaceID }); err != nil {
				return nil, err
			}
		}
		// Pinned: an admin who enforces the policy meanwhile must not see
		// it quietly un-enforced by a manager who read it before.
		if op.ExpectedVersion, err = pin(in.ExpectedVersion, old); err != nil {
			return nil, err
		}
	}
	if err := c.require(policyAction(p), p.NamespaceID, "namespace_id"); err != nil {
		return nil, err
	}
	return op, nil
}

// DeletePolicy deletes a policy (EditPolicies, or EnforcePolicies for an
// enforced one). A policy that routes use is refused unless detach is set;
// then it is removed from each of those routes in the same transaction,
// which takes EditRoutes in each route's namespace.
func (a *App) DeletePolicy(ctx context.Context, c *Caller, id string, detach bool) error {
	p, err := get[*store.Policy](ctx, a, c, "id", id)
	if err != nil {
		return err
	}
	if err := c.permit(policyAction(p), p.NamespaceID); err != nil {
		return err
	}
	var ops []store.Op
	if detach {
		if ops, err = a.detach(ctx, c, p.ID); err != nil {
			return err
		}
	}
	del := &store.DeleteOp{Kind: store.KindPolicy, ID: p.ID, ExpectedVersion: p.Version}
	_, err = a.apply(ctx, c, p, append(ops, del)...)
	return err
}

// detach returns the writes that remove a policy from every route that
// uses it, each pinned to the version the caller's right to change it was
// decided on.
func (a *App) detach(ctx context.Context, c *Caller, policyID string) ([]store.Op, error) {
	ids, err := a.store.ReferencingRoutes(ctx, policyID)
	if err != nil {
		return nil, fmt.Errorf("read the routes using policy %s: %w", policyID, err)
	}
	ops := make([]store.Op, 0, len(ids))
	for _, id := range ids {
		r, err := store.Get[*store.Route](ctx, a.store, id)
		if err != nil {
			return nil, fmt.Errorf("read route %s: %w", id, err)
		}
		if err := c.require(EditRoutes, r.NamespaceID, ""); err != nil {
			return nil, err
		}
		r.Spec.PolicyIds = slices.DeleteFunc(r.Spec.PolicyIds, func(p string) bool { return p == policyID })
		ops = append(ops, &store.PutOp{Object: r, ExpectedVersion: r.Version})
	}
	return ops, nil
}

// policyViews computes what a caller sees of policies.
func (a *App) policyViews(ctx context.Context, c *Caller, r PolicyReads, list ...*store.Policy) ([]*Policy, error) {
	st, err := objectStatuses(ctx, a, c, store.KindPolicy, list)
	if err != nil {
		return nil, err
	}
	out := make([]*Policy, len(list))
	for i, p := range list {
		v := &Policy{Policy: p, Status: st(p), NamespaceName: c.NamespaceName(p.NamespaceID)}
		if r.WithRoutes {
			names, err := a.store.ReferencingRouteNames(ctx, p.ID)
			if err != nil {
				return nil, fmt.Errorf("read the routes using policy %s: %w", p.ID, err)
			}
			if len(names) > 0 {
				v.Routes = names
			}
		}
		out[i] = v
	}
	return out, nil
}
