package api

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/server/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// serviceAccounts implements PomeriumServiceAccountService. Reading an
// account takes viewer of its namespace; creating, changing and deleting one
// take admin, since its token acts with whatever roles it is granted.
//
// A token is shown once, when it is made: by Add (and Set without an id),
// and by a Set that extends the expiry, because every token carries the
// expiry of its account at the time it was signed (a shorter expiry needs
// no new token: the account's own cuts every token short). Deleting the
// account revokes all of its tokens at once.
type serviceAccounts struct{ *Server }

// serviceAccountFields names the fields of a service account as a request
// does.
var serviceAccountFields = map[string]string{
	"namespace_id": "service_account.namespace_id", "description": "service_account.description", "expires_at": "service_account.expires_at",
}

// serviceAccountWriteRole is what creating, changing and deleting a
// service account takes in its namespace: managers manage service
// accounts; the roles they act with are granted by admins.
const serviceAccountWriteRole = store.RoleManager

func (s *serviceAccounts) AddPomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.AddPomeriumServiceAccountRequest]) (*connect.Response[pb.AddPomeriumServiceAccountResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	out, token, err := s.create(ctx, req.Msg.GetServiceAccount())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.AddPomeriumServiceAccountResponse{ServiceAccount: out, JWT: token}), nil
}

func (s *serviceAccounts) SetPomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.SetPomeriumServiceAccountRequest]) (*connect.Response[pb.SetPomeriumServiceAccountResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	in := req.Msg.GetServiceAccount()
	if in.GetId() == "" {
		out, token, err := s.create(ctx, in)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(&pb.SetPomeriumServiceAccountResponse{ServiceAccount: out, Jwt: token}), nil
	}
	sa, err := convert.ServiceAccountToStore(in)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	old, err := readVisible[*store.ServiceAccount](ctx, s.Server, a, "service_account.id", sa.ID)
	if err != nil {
		return nil, err
	}
	if err := a.permit(old.NamespaceID, serviceAccountWriteRole); err != nil {
		return nil, err
	}
	if sa.NamespaceID != "" && sa.NamespaceID != old.NamespaceID {
		return nil, invalid("service_account.namespace_id", "cannot change: a service account stays in the namespace it was created in")
	}
	// Set replaces what the message carries, as every Set of the API does;
	// the name is the console's and stays.
	updated := store.Clone(old)
	updated.Description, updated.ExpiresAt = sa.Description, sa.ExpiresAt
	var token string
	if extends(old.ExpiresAt, updated.ExpiresAt) {
		if err := a.outranks(updated); err != nil {
			return nil, err
		}
		// Signed before the write so that a failure leaves nothing changed.
		if token, err = s.auth.IssueServiceAccountToken(ctx, updated); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	written, err := store.Put(ctx, s.store, a.actor(), updated, req.Msg.GetExpectedVersion())
	if err != nil {
		return nil, s.fail(ctx, requestFieldError(err, serviceAccountFields))
	}
	out, err := s.serviceAccountsOut(ctx, written)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetPomeriumServiceAccountResponse{ServiceAccount: out[0], Jwt: token}), nil
}

func (s *serviceAccounts) GetPomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.GetPomeriumServiceAccountRequest]) (*connect.Response[pb.GetPomeriumServiceAccountResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	_, sa, err := accessVisible[*store.ServiceAccount](ctx, s.Server, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	out, err := s.serviceAccountsOut(ctx, sa)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetPomeriumServiceAccountResponse{ServiceAccount: out[0]}), nil
}

func (s *serviceAccounts) ListPomeriumServiceAccounts(ctx context.Context, req *connect.Request[pb.ListPomeriumServiceAccountsRequest]) (*connect.Response[pb.ListPomeriumServiceAccountsResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	ns := req.Msg.GetNamespace()
	if !store.ValidID(ns) {
		return nil, invalid("namespace", "must be the id of a namespace")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.require(ns, store.RoleViewer); err != nil {
		return nil, err
	}
	got, err := s.store.List(ctx, store.KindServiceAccount, store.ListQuery{NamespaceID: ns})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	list := make([]*store.ServiceAccount, 0, len(got.Objects))
	for _, o := range got.Objects {
		list = append(list, o.(*store.ServiceAccount))
	}
	out, err := s.serviceAccountsOut(ctx, list...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.ListPomeriumServiceAccountsResponse{ServiceAccounts: out}), nil
}

func (s *serviceAccounts) DeletePomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.DeletePomeriumServiceAccountRequest]) (*connect.Response[pb.DeletePomeriumServiceAccountResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	a, sa, err := accessVisible[*store.ServiceAccount](ctx, s.Server, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := a.permit(sa.NamespaceID, serviceAccountWriteRole); err != nil {
		return nil, err
	}
	// The permissions granted to the account go with it, in the same
	// transaction: their subject is gone for good, since ids are never
	// given out again.
	ops := []store.Op{&store.DeleteOp{Kind: store.KindServiceAccount, ID: sa.ID}}
	grants, err := s.store.List(ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	for _, o := range grants.Objects {
		if p := o.(*store.NamespacePermission); p.SubjectType == store.SubjectUser && p.SubjectID == sa.ID {
			ops = append(ops, &store.DeleteOp{Kind: store.KindNamespacePermission, ID: p.ID})
		}
	}
	if _, err := s.store.Apply(ctx, a.actor(), ops...); err != nil {
		return nil, s.fail(ctx, err)
	}
	return connect.NewResponse(&pb.DeletePomeriumServiceAccountResponse{}), nil
}

// create makes a service account and its first token. The console chooses
// the id, so that an id, and with it the tokens of a deleted account, never
// comes back; and the name, which the store requires and the API does not
// have: "service account <id>".
func (s *serviceAccounts) create(ctx context.Context, in *pb.PomeriumServiceAccount) (*pb.PomeriumServiceAccount, string, error) {
	if in == nil {
		return nil, "", invalid("service_account", "is required")
	}
	if in.Id != "" {
		return nil, "", invalid("service_account.id", "is chosen by the console: leave it empty")
	}
	sa, err := convert.ServiceAccountToStore(in)
	if err != nil {
		return nil, "", connect.NewError(connect.CodeInvalidArgument, err)
	}
	if !store.ValidID(sa.NamespaceID) {
		return nil, "", invalid("service_account.namespace_id", "must be the id of a namespace")
	}
	if !sa.ExpiresAt.IsZero() && !sa.ExpiresAt.After(time.Now()) {
		return nil, "", invalid("service_account.expires_at", "%s is not in the future", sa.ExpiresAt.UTC().Format(time.RFC3339))
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := a.require(sa.NamespaceID, serviceAccountWriteRole); err != nil {
		return nil, "", err
	}
	sa.ID = uuid.NewString()
	sa.Name = "service account " + sa.ID
	// Signed before the write: an account is never created without the
	// token its creator came for.
	token, err := s.auth.IssueServiceAccountToken(ctx, sa)
	if err != nil {
		return nil, "", s.fail(ctx, err)
	}
	written, err := s.store.Apply(ctx, a.actor(), &store.PutOp{Object: sa, CreateOnly: true})
	if err != nil {
		return nil, "", s.fail(ctx, requestFieldError(err, serviceAccountFields))
	}
	out, err := s.serviceAccountsOut(ctx, written[0].(*store.ServiceAccount))
	if err != nil {
		return nil, "", err
	}
	return out[0], token, nil
}

// extends reports whether an account's expiry moving from before to after makes
// its tokens live longer, into the future (zero: never expires).
func extends(before, after time.Time) bool {
	switch {
	case before.IsZero():
		return false
	case after.IsZero():
		return true
	}
	return after.After(before) && after.After(time.Now())
}

// outranks refuses a new token of an account that holds a role its caller
// does not hold: the token would lend the caller that role. Managing an
// account takes admin of its namespace only, while admins above may grant
// it more.
func (a *access) outranks(sa *store.ServiceAccount) error {
	for ns, role := range a.snap.Roles(rbac.Caller{UserID: sa.ID}) {
		if !a.can(ns, role) {
			return connect.NewError(connect.CodePermissionDenied, fmt.Errorf(
				"%s may not extend the expiry of service account %s, which would issue it a new token: the account holds roles %s does not", a.p.Subject, sa.ID, a.p.Subject))
		}
	}
	return nil
}

// serviceAccountsOut converts service accounts with the time each last
// used a token.
func (s *Server) serviceAccountsOut(ctx context.Context, list ...*store.ServiceAccount) ([]*pb.PomeriumServiceAccount, error) {
	ids := make([]string, len(list))
	for i, sa := range list {
		ids[i] = sa.ID
	}
	used := map[string]time.Time{}
	if len(ids) > 0 {
		var err error
		if used, err = s.store.ServiceAccountAccess(ctx, ids...); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	out := make([]*pb.PomeriumServiceAccount, len(list))
	for i, sa := range list {
		out[i] = convert.ServiceAccountFromStore(sa, used[sa.ID])
	}
	return out, nil
}
