package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/pomerium-console/pomerium-console/manifest"
	"github.com/pomerium-console/pomerium-console/store"
)

// ApplyInput is a declarative document to make the desired state hold.
type ApplyInput struct {
	// Content is the document (manifest.Decode): YAML or JSON.
	Content []byte
	// Prune deletes what the document's scope holds and the document does
	// not declare (but what Kubernetes manages).
	Prune bool
	// DryRun plans and checks everything and writes nothing.
	DryRun bool
	// Tokens takes the tokens that creating a service account, or
	// extending its expiry, issues: ApplyResult.Tokens holds them, shown
	// this once. Without it such changes are refused.
	Tokens bool
}

// ApplyResult is what an apply changed, or in a dry run would change.
type ApplyResult struct {
	*manifest.Plan
	// Tokens are the tokens issued to service accounts, by the name of
	// their change.
	Tokens map[string]string
}

// Apply makes the desired state hold a document: every change it plans
// (manifest.NewPlan), each checked as the use case of its object checks it
// (compilation's checks, the role its action takes where the object is and
// was, the rules of service accounts and permissions), written in one
// transaction, pinned to the versions it was planned on. A document with
// any refused object writes nothing: the result lists every refusal beside
// the error.
func (a *App) Apply(ctx context.Context, c *Caller, in ApplyInput) (*ApplyResult, error) {
	doc, err := manifest.Decode(in.Content)
	if err != nil {
		return nil, invalid("content", "%v", err)
	}
	st, err := a.store.Load(ctx, store.WithSecrets())
	if err != nil {
		return nil, fmt.Errorf("read desired state: %w", err)
	}
	plan, err := manifest.NewPlan(doc, st, manifest.PlanOptions{Prune: in.Prune, Now: a.now(), UserID: ServiceAccountUserID})
	if err != nil {
		return nil, invalid("content", "%v", err)
	}
	res := &ApplyResult{Plan: plan}
	issue := a.authorizeApply(ctx, c, res, in.Tokens)
	if n := len(plan.Refused); n > 0 {
		return res, Refuse(CodeInvalid, "content", "%d of the document's objects %s refused, so nothing was written", n, map[bool]string{true: "is", false: "are"}[n == 1])
	}
	if in.DryRun || len(plan.Ops) == 0 {
		return res, nil
	}
	for _, i := range issue {
		ch := plan.Changes[i]
		// Signed before the write, as AddServiceAccount does: an account is
		// never made without the token its maker came for.
		token, err := a.tokens.IssueServiceAccountToken(ctx, ch.After.(*store.ServiceAccount))
		if err != nil {
			return nil, fmt.Errorf("sign a token for service account %s: %w", ch.Name, err)
		}
		if res.Tokens == nil {
			res.Tokens = map[string]string{}
		}
		res.Tokens[ch.Name] = token
	}
	if _, err := a.write(ctx, c, plan.Ops...); err != nil {
		res.Tokens = nil
		return nil, applyRefusal(plan, err)
	}
	return res, nil
}

// authorizeApply adds to the plan's refusals every change the caller may
// not make, and returns the changes that issue a service account token.
func (a *App) authorizeApply(ctx context.Context, c *Caller, res *ApplyResult, tokens bool) []int {
	plan := res.Plan
	refuse := func(ch manifest.Change, format string, args ...any) {
		plan.Refused = append(plan.Refused, &manifest.Refusal{Name: ch.Name, Reason: fmt.Sprintf(format, args...)})
	}
	// Namespaces the plan creates are not in the caller's snapshot: a role
	// there is the role in the nearest namespace that exists.
	created := map[string]string{}
	for _, ch := range plan.Changes {
		if ch.Action == manifest.ActionCreate && ch.Kind == store.KindNamespace {
			created[ch.After.GetObjectMeta().ID] = ch.After.GetObjectMeta().NamespaceID
		}
	}
	existing := func(id string) string {
		for p, ok := created[id]; ok; p, ok = created[id] {
			id = p
		}
		return id
	}
	var issue []int
	for i, ch := range plan.Changes {
		for _, obj := range []store.Object{ch.Before, ch.After} {
			if obj == nil {
				continue
			}
			act, ns := applyAction(obj)
			if !c.May(act, existing(ns)) {
				want, _ := needs(act)
				refuse(ch, "%s may not %s it: that takes %s of namespace %s", c.Subject, ch.Action, want, existing(ns))
			}
		}
		if p, ok := ch.After.(*store.NamespacePermission); ok && !atLeast(c.Role(existing(p.NamespaceID)), p.Role) {
			refuse(ch, "%s may not grant %s", c.Subject, p.Role)
		}
		sa, ok := ch.After.(*store.ServiceAccount)
		if !ok {
			continue
		}
		needsToken := ch.Action == manifest.ActionCreate || extends(ch.Before.(*store.ServiceAccount).ExpiresAt, sa.ExpiresAt, a.now())
		if err := a.accountRules(ctx, c, ch, sa); err != nil {
			refuse(ch, "%s", err.Error())
		}
		switch {
		case !needsToken:
		case !tokens || a.tokens == nil:
			refuse(ch, "issues a token, shown only once, which this apply would not show: apply it where tokens are taken")
		default:
			issue = append(issue, i)
		}
	}
	return issue
}

// accountRules are the rules of AddServiceAccount and SetServiceAccount
// beside the role: the user of a new account is free in its namespace and
// holds no role above the caller's; an extended expiry lends none.
func (a *App) accountRules(ctx context.Context, c *Caller, ch manifest.Change, sa *store.ServiceAccount) error {
	if ch.Action != manifest.ActionCreate {
		if extends(ch.Before.(*store.ServiceAccount).ExpiresAt, sa.ExpiresAt, a.now()) {
			return outranks(c, sa)
		}
		return nil
	}
	if err := mayActAs(c, sa.UserID); err != nil {
		return err
	}
	return a.userFree(ctx, sa)
}

// applyAction is the action writing or deleting obj takes, and where.
func applyAction(obj store.Object) (Action, string) {
	ns := obj.GetObjectMeta().NamespaceID
	switch o := obj.(type) {
	case *store.Namespace:
		return namespaceScope(o)
	case *store.Policy:
		return policyAction(o), ns
	case *store.Route:
		return EditRoutes, ns
	case *store.KeyPair:
		return EditKeyPairs, ns
	case *store.Settings:
		return EditSettings, store.GlobalNamespaceID
	case *store.ServiceAccount:
		return EditServiceAccounts, ns
	}
	return GrantRoles, ns
}

// applyRefusal is the store's refusal of a plan's write, naming the change
// it is about.
func applyRefusal(plan *manifest.Plan, err error) error {
	var se *store.Error
	if !errors.As(err, &se) {
		return err
	}
	if se.Code == store.CodeConflict {
		return Refuse(CodeConflict, "", "the desired state changed while the document was being applied, so nothing was written: apply it again")
	}
	for _, ch := range plan.Changes {
		obj := ch.After
		if obj == nil {
			obj = ch.Before
		}
		if sameObject(se, obj) && se.ID != "" {
			return Refuse(se.Code, "", "%s %s %s: %s", ch.Action, kindName(ch.Kind), ch.Name, withField(se.Field, se.Reason))
		}
	}
	return fromStore(err, nil)
}
