package manifest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// Action is what a plan does to one object.
type Action string

// The actions of a plan.
const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// Change is one object a plan writes.
type Change struct {
	Action Action
	Kind   store.Kind
	// Name names the object as the document does: a namespace's path, an
	// object's namespace path and name ("Global/Engineering/app"), a
	// service account's by its user or id, a permission's by its subject,
	// the settings as "settings".
	Name string
	// Diff shows, for an update, the object as the document writes it
	// before and after, without secrets; a changed secret is named on a
	// line of its own.
	Diff string
	// Before is the stored object (nil for a create), After the object
	// written (nil for a delete).
	Before, After store.Object
}

// Refusal is an object of the document, or one a plan would delete, that
// the plan cannot write.
type Refusal struct {
	// Item is the object's place in the document ("routes[2]"); empty for
	// an object only the store holds.
	Item string
	// Name names the object as Change.Name does, when it is known.
	Name   string
	Field  string
	Reason string
}

func (r *Refusal) Error() string {
	s := r.Item
	switch {
	case s == "":
		s = r.Name
	case r.Name != "":
		s += " (" + r.Name + ")"
	}
	if r.Field != "" {
		s += ": " + r.Field
	}
	return s + ": " + r.Reason
}

// Plan is what applying a document to a state changes.
type Plan struct {
	// Changes are in write order: containers and referenced objects
	// before what they hold or reference; deletions last, in the reverse
	// order. Ops[i] makes Changes[i].
	Changes []Change
	Ops     []store.Op
	// Unchanged counts the objects of the document the state holds as
	// they are.
	Unchanged int
	// Refused are the objects that cannot be written, every one of them;
	// a plan with refusals must not be written.
	Refused []*Refusal
}

// PlanOptions change how a document is planned.
type PlanOptions struct {
	// Prune deletes the objects below the document's scope that the
	// document does not declare, but those managed by Kubernetes.
	Prune bool
	// Now is the time expiries are checked against; zero is the clock's.
	Now time.Time
	// UserID is the user id a service account created in a namespace with
	// a chosen user takes (manage.ServiceAccountUserID); nil keeps it as
	// the document writes it.
	UserID func(namespaceID, user string) (string, error)
}

// NewPlan compares a document with a state (read with its secrets) and
// returns the writes that make the state hold the document.
func NewPlan(doc *Document, st *store.State, opts PlanOptions) (*Plan, error) {
	if doc == nil || doc.Format != Format {
		return nil, errors.New("not a document of format " + Format)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.UserID == nil {
		opts.UserID = func(_, user string) (string, error) { return user, nil }
	}
	root, refused := rootName(doc)
	if len(refused) > 0 {
		return &Plan{Refused: refused}, nil
	}
	st, before, after := renameGlobal(st, root)
	p := newPlanner(st, opts)
	if after != nil {
		if doc.Scope != "" && len(mustSplit(doc.Scope)) > 1 {
			p.refuse("scope", "", "", "the paths start at %q, but the Global namespace is named %q: only a document of the whole console renames it", root, before.Name)
			return p.result(), nil
		}
		p.put("scope", p.t.root(), before, after)
	}
	p.planNamespaces(doc)
	p.planKeyPairs(doc.KeyPairs)
	p.planPolicies(doc.Policies)
	p.planSettings(doc.Settings)
	p.planRoutes(doc.Routes)
	p.planServiceAccounts(doc.ServiceAccounts)
	p.planPermissions(doc.Permissions)
	if opts.Prune {
		p.prune()
	}
	p.checkReferences()
	return p.result(), nil
}

// renameGlobal returns st with the Global namespace named root, and the
// namespace before and after, when the document names it otherwise (nil
// when it does not).
func renameGlobal(st *store.State, root string) (*store.State, *store.Namespace, *store.Namespace) {
	for i, ns := range st.Namespaces {
		if ns.ID != store.GlobalNamespaceID || root == "" || ns.Name == root {
			continue
		}
		renamed := store.Clone(ns)
		renamed.Name = root
		c := *st
		c.Namespaces = slices.Clone(st.Namespaces)
		c.Namespaces[i] = renamed
		return &c, ns, renamed
	}
	return st, nil, nil
}

// identity is what tells an object from the others of its kind: its
// namespace (id) and unique key (store.UniqueKey).
type identity struct {
	kind    store.Kind
	ns, key string
}

func identityOf(obj store.Object) identity {
	return identity{obj.Kind(), obj.GetObjectMeta().NamespaceID, store.UniqueKey(obj)}
}

// planned is a change with the write that makes it.
type planned struct {
	change Change
	op     store.Op
}

type planner struct {
	opts  PlanOptions
	st    *store.State
	x     *exporter
	t     *tree
	names *names
	// scope is the path of the document's scope.
	scope string
	// stored are the objects of the state by identity; byID by id.
	stored map[identity]store.Object
	byID   map[string]store.Object
	// declared are the ids of the stored objects the document declares;
	// seen the identities it declared, to refuse a second declaration.
	declared map[string]bool
	seen     map[identity]string
	// target is every object after the plan, by id.
	target    map[string]store.Object
	puts      map[store.Kind][]planned
	deletes   map[store.Kind][]planned
	unchanged int
	refused   []*Refusal
}

func newPlanner(st *store.State, opts PlanOptions) *planner {
	x := newExporter(st, false)
	p := &planner{opts: opts, st: st, x: x, t: x.names.t, names: x.names,
		stored: map[identity]store.Object{}, byID: map[string]store.Object{}, declared: map[string]bool{},
		seen: map[identity]string{}, target: map[string]store.Object{},
		puts: map[store.Kind][]planned{}, deletes: map[store.Kind][]planned{}}
	each(st, func(obj store.Object) {
		p.stored[identityOf(obj)] = obj
		p.byID[obj.GetObjectMeta().ID] = obj
		p.target[obj.GetObjectMeta().ID] = obj
	})
	return p
}

// each calls fn with every object of st.
func each(st *store.State, fn func(store.Object)) {
	for _, ns := range st.Namespaces {
		fn(ns)
	}
	if st.Settings != nil {
		fn(st.Settings)
	}
	for _, kp := range st.KeyPairs {
		fn(kp)
	}
	for _, pol := range st.Policies {
		fn(pol)
	}
	for _, r := range st.Routes {
		fn(r)
	}
	for _, sa := range st.ServiceAccounts {
		fn(sa)
	}
	for _, perm := range st.Permissions {
		fn(perm)
	}
}

func (p *planner) refuse(item, name, field, format string, args ...any) {
	p.refused = append(p.refused, &Refusal{Item: item, Name: name, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// refuseStore refuses an object for the store's reason.
func (p *planner) refuseStore(item, name string, err error) {
	var se *store.Error
	if errors.As(err, &se) {
		p.refuse(item, name, se.Field, "%s", se.Reason)
		return
	}
	p.refuse(item, name, "", "%v", err)
}

// declare records that the document's item declares the object with
// identity id; false refuses a second declaration of it.
func (p *planner) declare(item, name string, id identity) bool {
	if first, dup := p.seen[id]; dup {
		p.refuse(item, name, "", "is declared twice, first as %s", first)
		return false
	}
	p.seen[id] = item
	return true
}

// check is a rule a changed object must keep beside the store's: it
// returns the field at fault and why, or "" for none.
type check func(store.Object) (field, reason string)

// put plans writing after in place of before (nil: a create) for the
// document's item. Only what changes is checked and written: an unchanged
// object is left as it is.
func (p *planner) put(item, name string, before, after store.Object, rules ...check) {
	m := after.GetObjectMeta()
	create := before == nil
	if create {
		if m.ID == "" {
			m.ID = uuid.NewString()
		}
		if sa, ok := after.(*store.ServiceAccount); ok {
			sa.Name = "service account " + m.ID
		}
	} else {
		bm := before.GetObjectMeta()
		m.ID, m.OriginRef = bm.ID, bm.OriginRef
		p.declared[m.ID] = true
	}
	if err := store.Validate(after, p.opts.Now, create); err != nil {
		p.refuseStore(item, name, err)
		return
	}
	p.target[m.ID] = after
	if !create && same(before, after) {
		p.unchanged++
		return
	}
	if !create && before.GetObjectMeta().Origin == store.OriginKubernetes {
		p.refuse(item, name, "", "is managed by the Kubernetes object %s: change it there", before.GetObjectMeta().OriginRef)
		return
	}
	for _, rule := range rules {
		if field, reason := rule(after); reason != "" {
			p.refuse(item, name, field, "%s", reason)
			return
		}
	}
	c := Change{Action: ActionCreate, Kind: after.Kind(), Name: name, Before: before, After: after}
	op := &store.PutOp{Object: after, CreateOnly: create}
	if !create {
		c.Action, op.ExpectedVersion = ActionUpdate, before.GetObjectMeta().Version
		c.Diff = p.diff(before, after)
	}
	p.puts[after.Kind()] = append(p.puts[after.Kind()], planned{c, op})
}

// remove plans deleting a stored object.
func (p *planner) remove(obj store.Object) {
	m := obj.GetObjectMeta()
	delete(p.target, m.ID)
	c := Change{Action: ActionDelete, Kind: obj.Kind(), Name: p.nameOf(obj), Before: obj}
	p.deletes[obj.Kind()] = append(p.deletes[obj.Kind()], planned{c, &store.DeleteOp{Kind: obj.Kind(), ID: m.ID, ExpectedVersion: m.Version}})
}

// writeOrder is the order of puts; deletes go the other way.
var writeOrder = []store.Kind{store.KindNamespace, store.KindKeyPair, store.KindPolicy, store.KindSettings,
	store.KindRoute, store.KindServiceAccount, store.KindNamespacePermission}

func (p *planner) result() *Plan {
	out := &Plan{Unchanged: p.unchanged, Refused: p.refused}
	add := func(list []planned) {
		for _, pl := range list {
			out.Changes = append(out.Changes, pl.change)
			out.Ops = append(out.Ops, pl.op)
		}
	}
	for _, k := range writeOrder {
		add(p.puts[k])
	}
	for i := len(writeOrder) - 1; i >= 0; i-- {
		add(p.deletes[writeOrder[i]])
	}
	return out
}
