package manage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
)

// ImportInput is a Pomerium configuration file to load into a namespace.
type ImportInput struct {
	// Namespace is where the routes go: a namespace id, or a path of names
	// from the Global namespace ("Global/Production" or "Production");
	// empty is the namespace of Cluster.
	Namespace string
	// Cluster is the cluster whose Pomerium the routes are for, by name or
	// id; empty is the default cluster. Namespace, when set, must belong
	// to it.
	Cluster string
	// Content is the file: YAML (or JSON) with a routes list.
	Content []byte
	// Source, when Content is empty, is the file, read again for each pass
	// of the import rather than held in memory.
	Source importer.Source
	// DryRun plans the import and writes nothing.
	DryRun bool
	// Digest, when set on a write, is the digest of the plan the caller
	// reviewed (a dry run's): if the plan is another now, because the
	// namespace changed since, nothing is written (CodeConflict).
	Digest string
	// Changes, when set, is handed the plan change by change as it is
	// planned, before anything is written, and ImportPlan.Plan stays
	// empty: with a Source, an import of a file of any size then holds
	// one batch of routes at a time. Its error stops the import.
	Changes func(importer.Change) error
	// Progress, when set, is told how far the import has got.
	Progress func(ImportProgress)
}

// ImportProgress says how far an import has got.
type ImportProgress struct {
	// Stage is reading (the file is read and checked), planning or
	// writing.
	Stage string
	// Done is what is done of Total: bytes while reading (Total -1 when
	// the size is unknown), routes while planning and writing.
	Done, Total int64
}

// The stages of an import.
const (
	ImportReading  = "reading"
	ImportPlanning = "planning"
	ImportWriting  = "writing"
)

// ImportPlan is what an import did, or in a dry run would do.
type ImportPlan struct {
	// Result is what the importer planned (or wrote); its Refused are the
	// routes of the file that are refused, each with its reason, all of
	// them in file order. A write refuses the whole file while any is; a
	// dry run plans the others. Its Plan is empty when the changes went to
	// ImportInput.Changes.
	*importer.Result
	// NeedsRole says, for each change the caller may not make, why: key
	// pairs take EditKeyPairs and enforced policies EnforcePolicies in the
	// namespace. A write refuses the whole file while any is listed.
	NeedsRole []string
	// Digest identifies the plan (ImportInput.Digest).
	Digest string
}

// Import loads the routes of a Pomerium configuration file, with the
// policies their access settings become and the key pairs of their inline
// TLS material, into a namespace: all of it, in one transaction, or
// nothing. It takes Import in the namespace. Every route is checked as
// compilation would (the importer), and every refusal is reported at once:
// when routes are refused the plan, with its Refused, is returned beside
// the refusal.
//
// A write plans twice: a dry run, which must pass (no refused route, no
// change beyond the caller's role, the digest the caller reviewed), then
// the write, which plans again as it writes and commits only if it planned
// exactly what the dry run did.
func (a *App) Import(ctx context.Context, c *Caller, in ImportInput) (*ImportPlan, error) {
	f, err := readImport(in)
	if err != nil {
		return nil, err
	}
	cluster, err := a.ClusterByName(ctx, c, "cluster", in.Cluster)
	if err != nil {
		return nil, err
	}
	ns := cluster
	if in.Namespace != "" {
		if ns, err = store.ResolveNamespace(ctx, a.store, in.Namespace); err != nil {
			return nil, under(fromStore(err, nil), "namespace")
		}
		if got := c.Cluster(ns); got != cluster && c.Sees(ns) {
			return nil, invalid("namespace", "namespace %s belongs to cluster %s, not to cluster %s", in.Namespace, got, cluster)
		}
	}
	if err := a.mayImport(c, ns); err != nil {
		return nil, err
	}
	planned := newPlanCheck(c, ns)
	opts := importer.Options{
		Namespace: ns, Actor: c.Actor(), DryRun: true, Stream: in.Changes != nil,
		Changes: func(ch importer.Change) error {
			planned.add(ch)
			if in.Changes != nil {
				return in.Changes(ch)
			}
			return nil
		},
		Progress: in.routeProgress(ImportPlanning, f.NumRoutes),
	}
	res, err := importer.ImportFile(ctx, a.store, f, opts)
	if stopped := importRefusal(err); res == nil && len(f.Refused) > 0 && CodeOf(stopped) != "" {
		// Planning was refused as a whole (the file would overwrite what
		// Kubernetes manages): the routes the file itself refuses go back
		// beside that refusal all the same, so that the file is fixed in
		// one round.
		return &ImportPlan{Result: &importer.Result{NamespaceID: ns, Refused: f.Refused, DryRun: true}}, stopped
	}
	plan, err := importPlan(res, err, planned)
	if err != nil || in.DryRun {
		return plan, err
	}
	switch {
	case len(plan.Refused) > 0:
		// The plan goes back beside the refusal, so that the caller can
		// show each refused route.
		return plan, importRefusal(&importer.RouteErrors{Routes: plan.Refused})
	case len(plan.NeedsRole) > 0:
		return nil, needsRole(plan.NeedsRole)
	case in.Digest != "" && in.Digest != plan.Digest:
		return nil, Refuse(CodeConflict, "digest", "what the import would do changed since it was reviewed (someone changed the namespace): review it again")
	}
	opts.Progress = in.routeProgress(ImportWriting, f.NumRoutes)
	if a.beforeWrite != nil {
		a.beforeWrite(ctx)
	}
	return writeImport(ctx, a.store, c, f, opts, plan.Digest)
}

// writeImport makes the writes of an import whose dry run planned the
// digest approved. The write plans again as it writes: it must be the plan
// approved, whose updates carry the versions they were planned against, or
// nothing is committed.
func writeImport(ctx context.Context, s store.Desired, c *Caller, f *importer.File, opts importer.Options, approved string) (*ImportPlan, error) {
	written := newPlanCheck(c, opts.Namespace)
	opts.DryRun = false
	opts.Changes = func(ch importer.Change) error {
		written.add(ch)
		return nil
	}
	opts.Commit = func() error {
		if written.digest() != approved || len(written.needs) > 0 {
			return Refuse(CodeConflict, "digest", "the namespace changed while the import was being written: try again")
		}
		return nil
	}
	res, err := importer.ImportFile(ctx, s, f, opts)
	if err != nil {
		return nil, importRefusal(err)
	}
	return &ImportPlan{Result: res, Digest: approved}, nil
}

// readImport reads the file of an import: parsed whole from Content, or
// scanned from Source, to be read again as it is imported.
func readImport(in ImportInput) (*importer.File, error) {
	var f *importer.File
	var err error
	switch {
	case len(in.Content) > 0:
		f, err = importer.Parse(in.Content)
	case in.Source.Open != nil:
		var progress func(int64)
		if in.Progress != nil {
			progress = func(read int64) { in.Progress(ImportProgress{Stage: ImportReading, Done: read, Total: in.Source.Size}) }
		}
		f, err = importer.Scan(in.Source, progress)
	default:
		return nil, invalid("content", "is empty: give the YAML of a Pomerium configuration file")
	}
	if err != nil {
		return nil, importRefusal(err)
	}
	return f, nil
}

// routeProgress reports a stage of an import that counts routes.
func (in ImportInput) routeProgress(stage string, total int) func(int) {
	if in.Progress == nil {
		return nil
	}
	return func(done int) { in.Progress(ImportProgress{Stage: stage, Done: int64(done), Total: int64(total)}) }
}

// mayImport refuses a caller who may not import into a namespace. The
// Global namespace is no secret: a caller without a role there is told it
// lacks one.
func (a *App) mayImport(c *Caller, ns string) error {
	if ns == store.GlobalNamespaceID {
		return c.permit(Import, ns)
	}
	return c.require(Import, ns, "namespace")
}

// importPlan is what the caller is shown of an importer's result (and its
// refusal of routes, which a dry run returns beside the result).
func importPlan(res *importer.Result, err error, planned *planCheck) (*ImportPlan, error) {
	if err != nil && (res == nil || !errors.As(err, new(*importer.RouteErrors))) {
		return nil, importRefusal(err)
	}
	return &ImportPlan{Result: res, Digest: planned.digest(), NeedsRole: planned.needs}, nil
}

// planCheck follows a plan change by change: its digest, and the roles its
// changes need beyond Import.
type planCheck struct {
	c     *Caller
	ns    string
	h     hash.Hash
	needs []string
}

func newPlanCheck(c *Caller, ns string) *planCheck {
	p := &planCheck{c: c, ns: ns, h: sha256.New()}
	fmt.Fprintf(p.h, "%s\n", ns)
	return p
}

// add takes the next change of the plan. The digest identifies a plan: the
// same changes into the same namespace give the same digest, whichever run
// planned them (the ids chosen for new objects are left out: every run
// chooses anew).
func (p *planCheck) add(ch importer.Change) {
	id := ch.ID
	if ch.Action == importer.ActionCreate {
		id = ""
	}
	fmt.Fprintf(p.h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\n", ch.Kind, ch.Name, ch.Action, id, ch.Source, ch.Diff)
	if act, why := changeAction(ch); act != "" && !p.c.May(act, p.ns) {
		p.needs = append(p.needs, why)
	}
}

func (p *planCheck) digest() string { return hex.EncodeToString(p.h.Sum(nil)) }

// changeAction is the action a change of an import takes beyond Import,
// and why; "" when Import will do.
func changeAction(ch importer.Change) (Action, string) {
	if ch.Action == importer.ActionUnchanged {
		return "", ""
	}
	switch o := ch.Object.(type) {
	case *store.KeyPair:
		return EditKeyPairs, fmt.Sprintf("key pair %q (from the inline TLS settings of %s): certificates and keys are managed by admins", ch.Name, ch.Source)
	case *store.Policy:
		if o.Enforced {
			return EnforcePolicies, fmt.Sprintf("policy %q is enforced: only an admin may change an enforced policy", ch.Name)
		}
	}
	return "", ""
}

func needsRole(reasons []string) error {
	msg := "loading these routes needs the admin role of the namespace:"
	for _, r := range reasons {
		msg += " " + r + ";"
	}
	return Refuse(CodePermissionDenied, "", "%s", msg[:len(msg)-1])
}

// importRefusal is an importer's refusal of the file as the use case's.
func importRefusal(err error) error {
	var re *Error
	var se *store.Error
	switch {
	case errors.As(err, &re):
		return re
	case errors.As(err, new(*importer.RouteErrors)), errors.As(err, new(*importer.RouteError)), errors.As(err, new(*importer.FileError)):
		return Refuse(CodeInvalid, "content", "%s", err.Error())
	case errors.As(err, &se):
		return fromStore(err, nil)
	}
	return err
}
