package manage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
)

// ImportInput is a Pomerium configuration file to load into a namespace.
type ImportInput struct {
	// Namespace is where the routes go: a namespace id, or a path of names
	// from the Global namespace ("Global/Production" or "Production");
	// empty is the Global namespace.
	Namespace string
	// Content is the file: YAML (or JSON) with a routes list.
	Content []byte
	// DryRun plans the import and writes nothing.
	DryRun bool
	// Digest, when set on a write, is the digest of the plan the caller
	// reviewed (a dry run's): if the plan is another now, because the
	// namespace changed since, nothing is written (CodeConflict).
	Digest string
}

// ImportPlan is what an import did, or in a dry run would do.
type ImportPlan struct {
	// Result is what the importer planned (or wrote); its Refused are the
	// routes of the file that are refused, each with its reason, all of
	// them in file order. A write refuses the whole file while any is; a
	// dry run plans the others.
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
func (a *App) Import(ctx context.Context, c *Caller, in ImportInput) (*ImportPlan, error) {
	if len(in.Content) == 0 {
		return nil, invalid("content", "is empty: give the YAML of a Pomerium configuration file")
	}
	f, err := importer.Parse(in.Content)
	if err != nil {
		return nil, importRefusal(err)
	}
	ns, err := store.ResolveNamespace(ctx, a.store, in.Namespace)
	if err != nil {
		return nil, under(fromStore(err, nil), "namespace")
	}
	if err := a.mayImport(c, ns); err != nil {
		return nil, err
	}
	opts := importer.Options{Namespace: ns, Actor: c.Actor(), DryRun: true}
	res, err := importer.ImportFile(ctx, a.store, f, opts)
	if stopped := importRefusal(err); res == nil && len(f.Refused) > 0 && CodeOf(stopped) != "" {
		// Planning was refused as a whole (the file would overwrite what
		// Kubernetes manages): the routes the file itself refuses go back
		// beside that refusal all the same, so that the file is fixed in
		// one round.
		return &ImportPlan{Result: &importer.Result{NamespaceID: ns, Refused: f.Refused, DryRun: true}}, stopped
	}
	plan, err := a.importPlan(c, ns, res, err)
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
	// The write plans again: it must be the plan just approved, whose
	// updates carry the versions they were planned against, or nothing is
	// written.
	approved := plan.Digest
	opts.DryRun = false
	opts.Authorize = func(changes []importer.Change) error {
		if d := planDigest(ns, changes); d != approved {
			return Refuse(CodeConflict, "digest", "the namespace changed while the import was being written: try again")
		}
		return nil
	}
	if a.beforeWrite != nil {
		a.beforeWrite(ctx)
	}
	res, err = importer.ImportFile(ctx, a.store, f, opts)
	if err != nil {
		return nil, importRefusal(err)
	}
	return a.importPlan(c, ns, res, nil)
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
func (a *App) importPlan(c *Caller, ns string, res *importer.Result, err error) (*ImportPlan, error) {
	if err != nil && (res == nil || !errors.As(err, new(*importer.RouteErrors))) {
		return nil, importRefusal(err)
	}
	plan := &ImportPlan{Result: res, Digest: planDigest(ns, res.Plan)}
	for _, ch := range res.Plan {
		if act, why := changeAction(ch); act != "" && !c.May(act, ns) {
			plan.NeedsRole = append(plan.NeedsRole, why)
		}
	}
	return plan, nil
}

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

// planDigest identifies a plan: the same changes into the same namespace
// give the same digest, whichever run planned them (the ids chosen for new
// objects are left out: every run chooses anew).
func planDigest(ns string, plan []importer.Change) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", ns)
	for _, ch := range plan {
		id := ch.ID
		if ch.Action == importer.ActionCreate {
			id = ""
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\n", ch.Kind, ch.Name, ch.Action, id, ch.Source, ch.Diff)
	}
	return hex.EncodeToString(h.Sum(nil))
}
