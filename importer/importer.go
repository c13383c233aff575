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
	// Authorize, when set, sees the plan an import is about to write, after
	// planning and before writing; its error stops the import with nothing
	// written. Updates carry the version they were planned against, so what
	// it approved is what is written, or the write fails. A dry run does not
	// call it.
	Authorize func(plan []Change) error
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
	// Routes, Policies and KeyPairs name the objects of the file.
	Routes, Policies, KeyPairs []string
	// IgnoredKeys are the top-level keys of the file that are Pomerium
	// settings rather than routes and were not imported.
	IgnoredKeys []string
	// Plan lists every object of the file in the order of the writes: key
	// pairs, then policies, then routes. Unchanged objects are listed but
	// not written. Refused routes, with their policies and the key pairs
	// only they use, are left out.
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

// ImportFile writes the routes of a parsed file into a namespace of s, with
// their policies and key pairs, in one store Apply: all or nothing. An
// object's identity is its name in the namespace. An existing object is
// updated only when it differs from the file, so importing the same file
// again writes nothing. The file is authoritative for the route settings it
// can express; a route keeps the policies attached to it in the console,
// besides the one the import generates. Objects the file does not name are
// left alone, and objects managed by Kubernetes are never overwritten.
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
	p, err := newPlanner(ctx, s, ns, actor)
	if err != nil {
		return nil, err
	}
	if err := p.plan(f); err != nil {
		return nil, err
	}
	res := p.result(f)
	if refused := routeErrors(f.Refused, p.refused); refused != nil {
		if !opts.DryRun {
			return nil, refused
		}
		res.DryRun, res.Refused = true, refused.Routes
		return res, refused
	}
	if opts.DryRun || len(p.ops) == 0 {
		res.DryRun = opts.DryRun
		return res, nil
	}
	if opts.Authorize != nil {
		if err := opts.Authorize(res.Plan); err != nil {
			return nil, err
		}
	}
	written, err := s.Apply(ctx, actor, p.ops...)
	if err != nil {
		return nil, fmt.Errorf("write the imported objects: %w", err)
	}
	p.recordWritten(res, written)
	return res, nil
}
