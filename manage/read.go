package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// get reads the object of type T with id for a caller who must be able to
// see it. An object the caller may not see is not found, like one that does
// not exist. field names the input that gave the id.
func get[T store.Object](ctx context.Context, a *App, c *Caller, field, id string) (T, error) {
	var zero T
	if !store.ValidID(id) {
		return zero, invalid(field, "must be a UUID")
	}
	obj, err := store.Get[T](ctx, a.store, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return zero, notFound(field, zero.Kind(), id)
	case err != nil:
		return zero, fmt.Errorf("read %s %s: %w", zero.Kind(), id, err)
	case !c.Sees(home(obj)):
		return zero, notFound(field, zero.Kind(), id)
	}
	return obj, nil
}

// home is the namespace whose viewers may see obj: the namespace it is in,
// or for a namespace, itself.
func home(obj store.Object) string {
	m := obj.GetObjectMeta()
	if obj.Kind() == store.KindNamespace {
		return m.ID
	}
	return m.NamespaceID
}

// getFor is get for a caller who must also be allowed action a in the
// object's namespace: one who may see the object is told it lacks the
// role, one who may not that it does not exist.
func getFor[T store.Object](ctx context.Context, a *App, c *Caller, act Action, field, id string) (T, error) {
	obj, err := get[T](ctx, a, c, field, id)
	if err != nil {
		return obj, err
	}
	if err := c.permit(act, obj.GetObjectMeta().NamespaceID); err != nil {
		var zero T
		return zero, err
	}
	return obj, nil
}

// prior reads the stored object an update writes (op.Object's id), whose
// explicit fields the update keeps when its writer states none
// (keepExplicit). For a mirror, whose objects keep the id they have at
// their source, an id not stored yet makes a create: found is then false
// and the write create-only.
func prior[T store.Object](ctx context.Context, a *App, c *Caller, op *store.PutOp, mirror bool) (old T, found bool, err error) {
	old, err = get[T](ctx, a, c, "id", op.Object.GetObjectMeta().ID)
	if mirror && CodeOf(err) == CodeNotFound {
		op.CreateOnly = true
		return old, false, nil
	}
	if err == nil {
		keepExplicit(op.Object, old)
	}
	return old, err == nil, err
}

// pin returns the version an update must find: the one the update was
// decided on, so that what was authorised is what is written, or nothing
// is. A caller that read another version (requested) is refused at once.
func pin(requested *int64, read store.Object) (int64, error) {
	m := read.GetObjectMeta()
	if requested != nil && *requested != m.Version {
		return 0, fromStore(store.Conflict(read.Kind(), m.ID, *requested, m.Version), read)
	}
	return m.Version, nil
}

// statuses reads the sync status of objects of one kind, by id.
func (a *App) statuses(ctx context.Context, k store.Kind, ids ...string) (map[string]store.ObjectStatus, error) {
	if len(ids) == 0 {
		return map[string]store.ObjectStatus{}, nil
	}
	got, err := a.store.Status(ctx, k, ids...)
	if err != nil {
		return nil, fmt.Errorf("read the sync status of %d %ss: %w", len(ids), k, err)
	}
	return got, nil
}

// objectStatuses reads the sync status of objects of one kind and returns
// the status of each: for an object still waiting to be written (pending, or
// no status yet) whose cluster's reconciler cannot write, pending with the
// reason.
func objectStatuses[T store.Object](ctx context.Context, a *App, c *Caller, k store.Kind, list []T) (func(T) *store.ObjectStatus, error) {
	all, err := a.statuses(ctx, k, idsOf(list)...)
	if err != nil {
		return nil, err
	}
	var health map[string]*store.Health
	return func(obj T) *store.ObjectStatus {
		m := obj.GetObjectMeta()
		st := statusOf(all, m.ID)
		if st != nil && st.State != store.SyncPending {
			return st
		}
		if health == nil {
			if health, err = a.healthByCluster(ctx); err != nil {
				a.log.Error(err, "read the reconcilers' health")
				health = map[string]*store.Health{}
			}
		}
		cluster := c.Cluster(m.NamespaceID)
		if k == store.KindSettings {
			cluster = compile.SettingsCluster(m.ID)
		}
		reason := unreachableReason(health[cluster])
		if reason == "" {
			return st
		}
		out := store.ObjectStatus{Kind: k, ID: m.ID, State: store.SyncPending, ObjectVersion: m.Version}
		if st != nil {
			out = *st
		}
		out.Reason = reason
		return &out
	}, nil
}

// statusOf is the status of one object, nil when there is none yet.
func statusOf(all map[string]store.ObjectStatus, id string) *store.ObjectStatus {
	if st, ok := all[id]; ok {
		return &st
	}
	return nil
}

// idsOf returns the ids of objects.
func idsOf[T store.Object](list []T) []string {
	out := make([]string, len(list))
	for i, o := range list {
		out[i] = o.GetObjectMeta().ID
	}
	return out
}

// objectsOf returns the objects of a store list of type T.
func objectsOf[T store.Object](objs []store.Object) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// one is the only view of a list of one, as a use case about one object
// returns it.
func one[V any](views []V, err error) (V, error) {
	if err != nil {
		var zero V
		return zero, err
	}
	return views[0], nil
}
