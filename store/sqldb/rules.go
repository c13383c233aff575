package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/pomerium-console/pomerium-console/internal/english"
	"github.com/pomerium-console/pomerium-console/store"
)

// checkPlacement checks the rules of obj that depend on other objects: its
// namespace exists, a namespace does not become its own ancestor, the
// policies a route names exist.
func (w *writer) checkPlacement(ctx context.Context, obj store.Object, prev store.Object) error {
	k, m := obj.Kind(), obj.GetObjectMeta()
	if k == store.KindNamespace && m.ID == store.GlobalNamespaceID {
		if m.NamespaceID != "" {
			return store.Invalid(k, m.ID, "namespace_id", "the Global namespace is the root and has no parent")
		}
		return nil
	}
	if k == store.KindSettings {
		// The settings' id decides their namespace.
		if err := w.checkClusterRules(ctx, obj, prev); err != nil {
			return err
		}
	}
	if m.NamespaceID == "" {
		return store.Invalid(k, m.ID, "namespace_id", "is required")
	}
	if !store.ValidID(m.NamespaceID) {
		return store.Invalid(k, m.ID, "namespace_id", "%q is not a UUID", m.NamespaceID)
	}
	// The namespace and the policies a route names, in one statement.
	refs := []reference{{store.KindNamespace, m.NamespaceID, "namespace_id"}}
	if r, ok := obj.(*store.Route); ok {
		for i, pid := range r.Spec.PolicyIds {
			refs = append(refs, reference{store.KindPolicy, pid, fmt.Sprintf("spec.policy_ids[%d]", i)})
		}
	}
	missing, err := w.firstMissing(ctx, refs)
	if err != nil {
		return fmt.Errorf("read the objects a %s names: %w", k, err)
	}
	if missing != nil {
		return store.Invalid(k, m.ID, missing.field, "%s %s does not exist", missing.kind, missing.id)
	}
	if k == store.KindNamespace && prev != nil && m.ID != "" {
		if err := w.checkCycle(ctx, m); err != nil {
			return err
		}
	}
	return w.checkClusterRules(ctx, obj, prev)
}

// reference is an object that another names, in its field.
type reference struct {
	kind      store.Kind
	id, field string
}

// firstMissing returns the first of refs that is not a live object, nil
// when all are: one statement however many there are.
func (w *writer) firstMissing(ctx context.Context, refs []reference) (*reference, error) {
	var args params
	conds := make([]string, len(refs))
	for i, r := range refs {
		conds[i] = "(kind = " + args.add(string(r.kind)) + " AND id = " + args.add(r.id) + ")"
	}
	rows, err := w.tx.QueryContext(ctx, w.db.d.q("SELECT kind, id FROM objects WHERE NOT deleted AND ("+strings.Join(conds, " OR ")+")"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	live := make(map[reference]bool, len(refs))
	for rows.Next() {
		var r reference
		if err := rows.Scan(&r.kind, &r.id); err != nil {
			return nil, err
		}
		live[r] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, r := range refs {
		if !live[reference{kind: r.kind, id: r.id}] {
			return &refs[i], nil
		}
	}
	return nil, nil
}

// checkCycle refuses to move namespace m below itself.
func (w *writer) checkCycle(ctx context.Context, m *store.ObjectMeta) error {
	ancestors, err := w.db.ancestors(ctx, w.tx, m.NamespaceID)
	if err != nil {
		return err
	}
	for _, id := range ancestors {
		if id == m.ID {
			return store.Invalid(store.KindNamespace, m.ID, "namespace_id",
				"moving the namespace under %s would make it its own ancestor", m.NamespaceID)
		}
	}
	return nil
}

// ancestors returns id and the ids of the namespaces above it, nearest first.
func (db *DB) ancestors(ctx context.Context, q queryer, id string) ([]string, error) {
	var out []string
	for id != "" && len(out) <= 10000 {
		out = append(out, id)
		var parent string
		err := q.QueryRowContext(ctx, db.d.q("SELECT namespace_id FROM objects WHERE kind = $1 AND id = $2 AND NOT deleted"),
			string(store.KindNamespace), id).Scan(&parent)
		if err != nil {
			return nil, fmt.Errorf("read ancestors of namespace %s: %w", id, err)
		}
		id = parent
	}
	return out, nil
}

func (w *writer) delete(ctx context.Context, op *store.DeleteOp, actor store.Actor) error {
	if !op.Kind.Valid() {
		return store.Invalid("", op.ID, "kind", "%q is not a kind", op.Kind)
	}
	if !store.ValidID(op.ID) {
		return store.Invalid(op.Kind, op.ID, "id", "must be a UUID")
	}
	if op.Kind == store.KindSettings {
		return store.Precondition(op.Kind, op.ID, "settings cannot be deleted; set them to their defaults instead")
	}
	if op.Kind == store.KindCluster {
		return w.deleteCluster(ctx, op, actor)
	}
	prev, err := w.load(ctx, op.Kind, op.ID)
	if err != nil {
		return err
	}
	if err := checkExpected(op.Kind, op.ID, prev, op.ExpectedVersion); err != nil {
		return err
	}
	if err := guardOrigin(prev, actor); err != nil {
		return err
	}
	switch op.Kind {
	case store.KindNamespace:
		return w.deleteNamespace(ctx, prev, op.Cascade, actor)
	case store.KindPolicy:
		if err := w.detachPolicy(ctx, op.ID, op.DetachFromRoutes, actor); err != nil {
			return err
		}
	case store.KindKeyPair:
		if err := w.keyPairUnused(ctx, op.ID); err != nil {
			return err
		}
	}
	return w.tombstone(ctx, prev, actor)
}

// keyPairUnused refuses to delete a key pair that a route or the settings
// still use: Pomerium would be left with references to nothing.
func (w *writer) keyPairUnused(ctx context.Context, id string) error {
	rows, err := w.tx.QueryContext(ctx, w.db.d.q("SELECT from_kind, from_id FROM object_refs WHERE to_kind = $1 AND to_id = $2 ORDER BY from_kind, from_id"),
		string(store.KindKeyPair), id)
	if err != nil {
		return fmt.Errorf("read users of key pair %s: %w", id, err)
	}
	defer rows.Close()
	var users []string
	for rows.Next() {
		var kind, from string
		if err := rows.Scan(&kind, &from); err != nil {
			return fmt.Errorf("read users of key pair %s: %w", id, err)
		}
		users = append(users, kind+" "+from)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read users of key pair %s: %w", id, err)
	}
	if len(users) > 0 {
		return store.Precondition(store.KindKeyPair, id, "is used by %s; remove those references first", someOf(users))
	}
	return nil
}

// namedInErrors is how many objects an error names at most: the rest it
// counts, so that a policy used by a million routes gets an error of a
// line, not of megabytes.
const namedInErrors = 10

// someOf joins the first namedInErrors of items and counts the rest.
func someOf(items []string) string {
	if len(items) <= namedInErrors {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:namedInErrors], ", ") + fmt.Sprintf(" and %d more", len(items)-namedInErrors)
}

// detachPolicy removes policy id from the routes that use it, or refuses
// when detach is not asked for.
func (w *writer) detachPolicy(ctx context.Context, id string, detach bool, actor store.Actor) error {
	routes, err := w.db.referencingRoutes(ctx, w.tx, id)
	if err != nil || len(routes) == 0 {
		return err
	}
	if !detach {
		return store.Precondition(store.KindPolicy, id, "is used by %s (%s); detach it from them first or delete it with remove_from_any_assigned_routes",
			english.Plural(len(routes), "route"), someOf(routes))
	}
	for _, rid := range routes {
		obj, err := w.load(ctx, store.KindRoute, rid)
		if err != nil {
			return err
		}
		if err := guardOrigin(obj, actor); err != nil {
			return err
		}
		r := obj.(*store.Route)
		prev := store.Clone(r)
		kept := r.Spec.PolicyIds[:0]
		for _, pid := range r.Spec.PolicyIds {
			if pid != id {
				kept = append(kept, pid)
			}
		}
		r.Spec.PolicyIds = kept
		if _, err := w.write(ctx, r, prev, actor); err != nil {
			return err
		}
	}
	return nil
}

// deleteNamespace deletes a namespace, and with cascade everything below it,
// contents before containers so that no reference ever points at a deleted
// object.
func (w *writer) deleteNamespace(ctx context.Context, ns store.Object, cascade bool, actor store.Actor) error {
	id := ns.GetObjectMeta().ID
	if id == store.GlobalNamespaceID {
		return store.Precondition(store.KindNamespace, id, "the Global namespace cannot be deleted")
	}
	subtree, err := w.db.subtree(ctx, w.tx, id)
	if err != nil {
		return err
	}
	if err := w.noLiveClusterIn(ctx, subtree); err != nil {
		return err
	}
	contents, err := w.db.queryObjects(ctx, w.tx, "SELECT "+objectColumns+" FROM objects WHERE NOT deleted AND namespace_id IN ("+
		w.db.d.placeholders(1, len(subtree))+") ORDER BY "+kindOrder+" DESC, version DESC", anySlice(subtree)...)
	if err != nil {
		return fmt.Errorf("list contents of namespace %s: %w", id, err)
	}
	if len(contents) > 0 && !cascade {
		return store.Precondition(store.KindNamespace, id, "is not empty (%d objects in it or below it, first %s %s); delete them first or delete with cascade",
			len(contents), contents[0].Kind, contents[0].ID)
	}
	for _, c := range contents {
		if err := guardOrigin(c.Object, actor); err != nil {
			return err
		}
		if err := w.tombstone(ctx, c.Object, actor); err != nil {
			return err
		}
	}
	return w.tombstone(ctx, ns, actor)
}

// kindOrder sorts rows so that, ascending, referenced kinds come before the
// kinds that reference them and parents before children; deletes walk it
// descending.
const kindOrder = `CASE kind WHEN 'namespace' THEN 0 WHEN 'cluster' THEN 1 WHEN 'settings' THEN 2 WHEN 'key_pair' THEN 3
	WHEN 'policy' THEN 4 WHEN 'route' THEN 5 WHEN 'service_account' THEN 6 ELSE 7 END`

// subtree returns id and every live namespace below it.
func (db *DB) subtree(ctx context.Context, q queryer, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, db.d.q(`WITH RECURSIVE sub(id) AS (
		SELECT CAST($1 AS TEXT)
		UNION SELECT o.id FROM objects o JOIN sub ON o.namespace_id = sub.id WHERE o.kind = 'namespace' AND NOT o.deleted)
		SELECT id FROM sub`), id)
	if err != nil {
		return nil, fmt.Errorf("read namespaces below %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// placeholders returns n parameters numbered from first, for a statement
// whose parameters are all given in order. SQLite gets anonymous ones: its
// driver looks up the name of each numbered parameter in a list as long as
// the statement's, which made a 4,000-parameter upsert spend most of its
// time binding.
func (d *Dialect) placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d.Numbered {
			fmt.Fprintf(&b, "$%d", first+i)
		} else {
			b.WriteString("?")
		}
	}
	return b.String()
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
