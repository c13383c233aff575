package sqldb

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// writer is one write transaction in progress.
type writer struct {
	db      *DB
	tx      *txStatements
	now     time.Time
	version int64
	// chain is the activity chain's head once the transaction read it.
	chain *chainHead
}

// Apply performs ops in one transaction.
func (db *DB) Apply(ctx context.Context, actor store.Actor, ops ...store.Op) ([]store.Object, error) {
	out := make([]store.Object, len(ops))
	err := db.ApplyStream(ctx, actor, func(apply func(store.Op) (store.Object, error)) error {
		for i, op := range ops {
			var err error
			if out[i], err = apply(op); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ApplyStream performs the ops write hands over in one transaction.
func (db *DB) ApplyStream(ctx context.Context, actor store.Actor, write func(apply func(store.Op) (store.Object, error)) error) error {
	if !actor.Origin.Valid() || actor.Origin == store.OriginSystem {
		return store.Invalid("", "", "origin", "%q is not one of api, ui, kubernetes, import", actor.Origin)
	}
	return db.inWriteTx(ctx, func(w *writer) error {
		return write(func(op store.Op) (store.Object, error) { return w.apply(ctx, op, actor) })
	})
}

// apply performs one operation: the object a put wrote, nil for a delete.
func (w *writer) apply(ctx context.Context, op store.Op, actor store.Actor) (store.Object, error) {
	switch o := op.(type) {
	case *store.PutOp:
		return w.put(ctx, o, actor)
	case *store.DeleteOp:
		return nil, w.delete(ctx, o, actor)
	}
	return nil, store.Invalid("", "", "op", "unknown operation %T", op)
}

func (w *writer) load(ctx context.Context, k store.Kind, id string) (store.Object, error) {
	return w.db.getLive(ctx, w.tx, k, id)
}

func (w *writer) put(ctx context.Context, op *store.PutOp, actor store.Actor) (store.Object, error) {
	if op.Object == nil {
		return nil, store.Invalid("", "", "object", "is required")
	}
	obj := store.Clone(op.Object)
	k, m := obj.Kind(), obj.GetObjectMeta()
	if k == store.KindSettings && m.ID == "" {
		m.ID = store.SettingsID
	}
	var prev store.Object
	if m.ID != "" && store.ValidID(m.ID) {
		r, err := w.db.getRow(ctx, w.tx, k, m.ID)
		if err != nil {
			return nil, err
		}
		if r != nil && !r.deleted {
			if prev, err = r.object(w.db.sealer, false); err != nil {
				return nil, err
			}
		}
	}
	if err := checkExpected(k, m.ID, prev, op.ExpectedVersion); err != nil {
		return nil, err
	}
	if prev != nil && op.CreateOnly {
		return nil, store.AlreadyExists(k, m.ID, "id", "an object with this id already exists")
	}
	if err := guardOrigin(prev, actor); err != nil {
		return nil, err
	}
	if store.KeepsSecret(obj) && prev != nil {
		// An update without a secret keeps the stored one, which must then
		// still fit the rest (a key pair's key its new certificate).
		key, err := w.db.readSecret(ctx, w.tx, k, m.ID)
		if err != nil {
			return nil, err
		}
		if err := store.SetSecret(obj, key); err != nil {
			return nil, err
		}
	}
	if err := store.Validate(obj, w.now, prev == nil); err != nil {
		return nil, err
	}
	if err := w.checkPlacement(ctx, obj, prev); err != nil {
		return nil, err
	}
	written, err := w.write(ctx, obj, prev, actor)
	if err != nil {
		return nil, err
	}
	plain, _, err := store.SecretOf(written)
	if err != nil {
		return nil, err
	}
	store.HideSecret(written, len(plain) > 0)
	return written, nil
}

func checkExpected(k store.Kind, id string, prev store.Object, expected int64) error {
	if expected == 0 {
		return nil
	}
	if prev == nil {
		return store.NotFound(k, id)
	}
	if v := prev.GetObjectMeta().Version; v != expected {
		return store.Conflict(k, id, expected, v)
	}
	return nil
}

// guardOrigin keeps objects that mirror Kubernetes resources read-only to
// every other surface: an edit there would be undone by the next sync of the
// Kubernetes object anyway.
func guardOrigin(prev store.Object, actor store.Actor) error {
	if prev == nil {
		return nil
	}
	m := prev.GetObjectMeta()
	if m.Origin == store.OriginKubernetes && actor.Origin != store.OriginKubernetes {
		return store.Precondition(prev.Kind(), m.ID, "is managed by the Kubernetes object %s; change or delete it there", m.OriginRef)
	}
	return nil
}

// write stores obj (already validated and checked) with the next version and
// records the change in the activity log. prev is the live object it
// replaces, if any.
func (w *writer) write(ctx context.Context, obj store.Object, prev store.Object, actor store.Actor) (store.Object, error) {
	k, m := obj.Kind(), obj.GetObjectMeta()
	if m.ID == "" {
		m.ID = uuid.NewString()
	}
	w.version++
	m.Version = w.version
	m.Origin = actor.Origin
	m.ModifiedAt = w.now
	m.CreatedAt = w.now
	if prev != nil {
		m.CreatedAt = prev.GetObjectMeta().CreatedAt
	}
	data, err := store.SealData(w.db.sealer, obj)
	if err != nil {
		return nil, err
	}
	var secret []byte
	plain, _, err := store.SecretOf(obj)
	if err != nil {
		return nil, err
	}
	if len(plain) > 0 {
		secret = w.db.sealer.Seal(plain, store.SecretAD(k, m.ID))
	}
	_, err = w.tx.ExecContext(ctx, w.db.d.q(`INSERT INTO objects
		(kind, id, namespace_id, name, unique_key, search, origin, origin_ref, version, created_at, modified_at, deleted, data, secret)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, false, $12, $13)
		ON CONFLICT (kind, id) DO UPDATE SET
		namespace_id = excluded.namespace_id, name = excluded.name, unique_key = excluded.unique_key,
		search = excluded.search, origin = excluded.origin, origin_ref = excluded.origin_ref,
		version = excluded.version, created_at = excluded.created_at, modified_at = excluded.modified_at,
		deleted = false, data = excluded.data, secret = excluded.secret`),
		string(k), m.ID, m.NamespaceID, m.Name, store.UniqueKey(obj), store.SearchText(obj), string(m.Origin), m.OriginRef,
		m.Version, micros(m.CreatedAt), micros(m.ModifiedAt), data, secret)
	if w.db.d.IsUniqueViolation(err) {
		return nil, uniqueError(obj)
	}
	if err != nil {
		return nil, fmt.Errorf("write %s %s: %w", k, m.ID, err)
	}
	if err := w.writeRefs(ctx, obj, prev); err != nil {
		return nil, err
	}
	if err := w.logActivity(ctx, actor, store.ActionSet, prev, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func uniqueError(obj store.Object) error {
	m := obj.GetObjectMeta()
	switch o := obj.(type) {
	case *store.DataSource:
		return store.AlreadyExists(obj.Kind(), m.ID, "record_type",
			"another data source of this cluster writes records of type %q", o.RecordType)
	case *store.NamespacePermission:
		return store.AlreadyExists(obj.Kind(), m.ID, "subject_id",
			"%s %q already has a permission in namespace %s", o.SubjectType, o.SubjectID, m.NamespaceID)
	case *store.ServiceAccount:
		if o.UserID != "" {
			return store.AlreadyExists(obj.Kind(), m.ID, "user_id",
				"a service account with user id %q already exists in namespace %s", o.UserID, m.NamespaceID)
		}
	}
	return store.AlreadyExists(obj.Kind(), m.ID, "name", "a %s named %q already exists in namespace %s", obj.Kind(), m.Name, m.NamespaceID)
}

// refsOf returns the policies and key pairs obj uses, and whether its kind
// records references at all.
func refsOf(obj store.Object) (policies, keyPairs []string, records bool) {
	switch o := obj.(type) {
	case *store.Route:
		return o.Spec.GetPolicyIds(), store.KeyPairRefs(o.Spec), true
	case *store.Settings:
		return nil, store.KeyPairRefs(o.Spec), true
	case *store.DataSource:
		if o.ClientTLSKeyID != "" {
			keyPairs = []string{o.ClientTLSKeyID}
		}
		return nil, keyPairs, true
	}
	return nil, nil, false
}

// writeRefs records which policies a route uses and which key pairs a
// route or the settings use, so that deleting a policy or a key pair can
// find its users without decoding every route. prev is the live object
// obj replaces, whose references are already recorded: when they are the
// same, as on most edits, nothing is written.
func (w *writer) writeRefs(ctx context.Context, obj, prev store.Object) error {
	policies, keyPairs, records := refsOf(obj)
	if !records {
		return nil
	}
	if prev != nil {
		wasPolicies, wasKeyPairs, _ := refsOf(prev)
		if slices.Equal(policies, wasPolicies) && slices.Equal(keyPairs, wasKeyPairs) {
			return nil
		}
	}
	m := obj.GetObjectMeta()
	if err := w.dropRefs(ctx, obj.Kind(), m.ID); err != nil {
		return err
	}
	for _, ref := range []struct {
		kind store.Kind
		ids  []string
	}{{store.KindPolicy, policies}, {store.KindKeyPair, keyPairs}} {
		for _, id := range ref.ids {
			if _, err := w.tx.ExecContext(ctx, w.db.d.q("INSERT INTO object_refs (from_kind, from_id, to_kind, to_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"),
				string(obj.Kind()), m.ID, string(ref.kind), id); err != nil {
				return fmt.Errorf("record %s reference of %s %s: %w", ref.kind, obj.Kind(), m.ID, err)
			}
		}
	}
	return nil
}

// refsVersion is what object_refs records (see migration 00005).
const refsVersion = 1

// upgradeRefs records the references that rows written by an older console
// lack: once, when a store opens on them.
func (w *writer) upgradeRefs(ctx context.Context) error {
	var have int
	if err := w.tx.QueryRowContext(ctx, "SELECT refs_version FROM console_meta WHERE id = 1").Scan(&have); err != nil {
		return fmt.Errorf("read references version: %w", err)
	}
	if have >= refsVersion {
		return nil
	}
	objs, err := w.db.queryObjects(ctx, w.tx, "SELECT "+objectColumns+" FROM objects WHERE NOT deleted AND kind IN ('route', 'settings')")
	if err != nil {
		return fmt.Errorf("read routes and settings: %w", err)
	}
	for _, c := range objs {
		if err := w.writeRefs(ctx, c.Object, nil); err != nil {
			return err
		}
	}
	if _, err := w.tx.ExecContext(ctx, w.db.d.q("UPDATE console_meta SET refs_version = $1 WHERE id = 1"), refsVersion); err != nil {
		return fmt.Errorf("write references version: %w", err)
	}
	return nil
}

func (w *writer) dropRefs(ctx context.Context, k store.Kind, id string) error {
	if _, err := w.tx.ExecContext(ctx, w.db.d.q("DELETE FROM object_refs WHERE from_kind = $1 AND from_id = $2"), string(k), id); err != nil {
		return fmt.Errorf("drop references of %s %s: %w", k, id, err)
	}
	return nil
}

// tombstone marks a live object deleted with the next version.
func (w *writer) tombstone(ctx context.Context, prev store.Object, actor store.Actor) error {
	k, m := prev.Kind(), prev.GetObjectMeta()
	w.version++
	if _, err := w.tx.ExecContext(ctx, w.db.d.q(`UPDATE objects SET deleted = true, version = $1, modified_at = $2, secret = NULL
		WHERE kind = $3 AND id = $4`), w.version, micros(w.now), string(k), m.ID); err != nil {
		return fmt.Errorf("delete %s %s: %w", k, m.ID, err)
	}
	if err := w.dropRefs(ctx, k, m.ID); err != nil {
		return err
	}
	// A deleted object has no status to report; its record's removal is
	// the reconciler's business, not the object's.
	if _, err := w.tx.ExecContext(ctx, w.db.d.q("DELETE FROM object_status WHERE kind = $1 AND id = $2"), string(k), m.ID); err != nil {
		return fmt.Errorf("drop status of %s %s: %w", k, m.ID, err)
	}
	return w.logActivity(ctx, actor, store.ActionDelete, prev, nil)
}
