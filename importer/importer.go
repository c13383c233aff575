package importer

import (
	"context"
	"fmt"

	"github.com/pomerium-console/pomerium-console/store"
)

// Options configure Import.
type Options struct {
	// Namespace is where the routes go: a path of namespace names such as
	// "Global/Production" or "Production", or a namespace id; empty means
	// the Global namespace. See store.ResolveNamespace.
	Namespace string
	// Actor is recorded in the activity log. The zero value is the import
	// command: subject "import", origin import.
	Actor store.Actor
	// DryRun plans the import and writes nothing.
	DryRun bool
	// Changes, when set, is handed every change of the plan in write
	// order: in a dry run as it is planned; in a write once it is written,
	// with its Object as the store wrote it, in the transaction that
	// commits it. Its error stops the import with nothing written.
	Changes func(Change) error
	// Stream leaves Result.Plan and its name lists empty: with Changes, an
	// import of a file of any size then keeps nothing per object.
	Stream bool
	// Commit, when set, is called in a write once every change is written
	// and before they are committed; its error stops the import with
	// nothing written. Updates carry the version they were planned
	// against, so what a caller approved change by change (Changes) is
	// what is committed, or nothing is. A dry run does not call it.
	Commit func() error
	// Progress, when set, is told how many routes of the file have been
	// planned (in a dry run) or written.
	Progress func(routes int)
}

// Action says what an import does to one object.
type Action string

// The actions of a plan.
const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionUnchanged Action = "unchanged"
)

// Change is one object of the file and what the import does with it.
type Change struct {
	Action Action
	Kind   store.Kind
	// ID is the object's id: the existing one for an update or an unchanged
	// object, the one chosen for a create.
	ID   string
	Name string
	// Source is the route of the file the object comes from, e.g.
	// "routes[3]"; for a key pair, the first route that uses it.
	Source string
	// Object is the object as written (or, in a dry run, as it would be);
	// a key pair never carries its private key here.
	Object store.Object
	// Diff is, for an update, a unified diff of the activity log snapshots
	// of the stored object and the new one.
	Diff string
}

// Result says what an import did (or, in a dry run, would do).
type Result struct {
	// NamespaceID is the namespace the file was imported into.
	NamespaceID string
	// Created, Updated and Unchanged count objects of every kind.
	Created, Updated, Unchanged int
	// Routes, Policies and KeyPairs name the objects of the file; empty
	// with Options.Stream.
	Routes, Policies, KeyPairs []string
	// IgnoredKeys are the top-level keys of the file that are Pomerium
	// settings rather than routes and were not imported.
	IgnoredKeys []string
	// Plan lists every object of the file in the order of the writes: each
	// route after the key pairs it is the first to use and its policy.
	// Unchanged objects are listed but not written. Refused routes, with
	// their policies and the key pairs only they use, are left out. Empty
	// with Options.Stream.
	Plan []Change
	// Refused are the routes of the file that are refused, in file order:
	// set only by a dry run, which returns them as a *RouteErrors too.
	Refused []*RouteError
	// DryRun is set when nothing was written.
	DryRun bool
}

// Import parses a Pomerium config.yaml and writes its routes into a
// namespace of s. A file that is not a list of routes is a *FileError; for
// the rest, see ImportFile.
func Import(ctx context.Context, s store.Desired, data []byte, opts Options) (*Result, error) {
	f, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return ImportFile(ctx, s, f, opts)
}

// ImportFile writes the routes of a file (from Parse or Scan) into a
// namespace of s, with their policies and key pairs, in one store
// transaction: all or nothing. It plans and writes a batch of routes at a
// time, so that a file from Scan is imported in little memory however
// large. An object's identity is its name in the namespace. An existing
// object is updated only when it differs from the file, so importing the
// same file again writes nothing. The file is authoritative for the route
// settings it can express; a route keeps the policies attached to it in the
// console, besides the one the import generates. Objects the file does not
// name are left alone, and objects managed by Kubernetes are never
// overwritten: a file that names one is refused.
//
// Every route of the file is checked, and a file with refused routes (those
// of File.Refused and those the store would refuse) is not written at all:
// the error is a *RouteErrors naming each of them. A dry run returns the
// Result as well, planned for the routes that are not refused and with
// Refused set, so that a preview shows both.
func ImportFile(ctx context.Context, s store.Desired, f *File, opts Options) (*Result, error) {
	ns, err := store.ResolveNamespace(ctx, s, opts.Namespace)
	if err != nil {
		return nil, err
	}
	actor := opts.Actor
	if actor == (store.Actor{}) {
		actor = store.Actor{Subject: "import", Origin: store.OriginImport}
	}
	p := newPlanner(ctx, s, ns, actor)
	p.progress = opts.Progress
	res := &Result{NamespaceID: ns, IgnoredKeys: f.IgnoredKeys, DryRun: true}
	if opts.DryRun || len(f.Refused) > 0 {
		// A file with refused routes is planned as a dry run all the
		// same, to name every refused route at once.
		if err := p.run(f, res.hand(p, opts, nil)); err != nil {
			return nil, err
		}
		return p.verdict(res, f, opts.DryRun)
	}
	err = s.ApplyStream(ctx, actor, func(apply func(store.Op) (store.Object, error)) error {
		if err := p.run(f, res.hand(p, opts, apply)); err != nil {
			return err
		}
		if _, err := p.verdict(res, f, false); err != nil {
			return err
		}
		if opts.Commit != nil {
			return opts.Commit()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.DryRun = false
	return res, nil
}

// verdict is the outcome of a run: a refusal of the file as a whole, of
// some of its routes (which a dry run returns beside its result), or the
// result.
func (p *planner) verdict(res *Result, f *File, dryRun bool) (*Result, error) {
	if len(p.clashes) > 0 {
		return nil, errKubernetesOwned(p.clashes)
	}
	if refused := routeErrors(f.Refused, p.refused); refused != nil {
		if !dryRun {
			return nil, refused
		}
		res.Refused = refused.Routes
		return res, refused
	}
	return res, nil
}

// hand returns what the planner hands each step to: in a write, the step's
// write is made first, until a refusal dooms the import; then the change is
// counted, kept and handed to Options.Changes.
func (res *Result) hand(p *planner, opts Options, apply func(store.Op) (store.Object, error)) func(step) error {
	return func(st step) error {
		if apply != nil {
			if len(p.refused) > 0 || len(p.clashes) > 0 {
				return nil
			}
			if st.op != nil {
				obj, err := apply(st.op)
				if err != nil {
					return fmt.Errorf("write the imported objects: %w", err)
				}
				st.change.Object = withoutSecrets(obj)
			}
		}
		res.add(st.change, !opts.Stream)
		if opts.Changes != nil {
			return opts.Changes(st.change)
		}
		return nil
	}
}

// add counts a change and, if keep, lists it.
func (res *Result) add(ch Change, keep bool) {
	switch ch.Action {
	case ActionCreate:
		res.Created++
	case ActionUpdate:
		res.Updated++
	case ActionUnchanged:
		res.Unchanged++
	}
	if !keep {
		return
	}
	res.Plan = append(res.Plan, ch)
	switch ch.Kind {
	case store.KindKeyPair:
		res.KeyPairs = append(res.KeyPairs, ch.Name)
	case store.KindPolicy:
		res.Policies = append(res.Policies, ch.Name)
	case store.KindRoute:
		res.Routes = append(res.Routes, ch.Name)
	}
}
