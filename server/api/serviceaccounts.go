package api

import (
	"context"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// serviceAccounts implements PomeriumServiceAccountService over the use
// cases of service accounts. A token is shown once, when it is made: by
// Add (and Set without an id), and by a Set that extends the expiry.
type serviceAccounts struct{ *Server }

// serviceAccountFields says where an account's fields are in the requests.
var serviceAccountFields = at{root: "service_account"}

func (s *serviceAccounts) AddPomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.AddPomeriumServiceAccountRequest]) (*connect.Response[pb.AddPomeriumServiceAccountResponse], error) {
	if err := s.inCluster(ctx, req.Msg.GetClusterId(), "service_account.namespace_id", req.Msg.GetServiceAccount().GetNamespaceId()); err != nil {
		return nil, err
	}
	out, token, err := s.add(ctx, req.Msg.GetServiceAccount())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.AddPomeriumServiceAccountResponse{ServiceAccount: out, JWT: token}), nil
}

func (s *serviceAccounts) SetPomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.SetPomeriumServiceAccountRequest]) (*connect.Response[pb.SetPomeriumServiceAccountResponse], error) {
	if err := s.inCluster(ctx, req.Msg.GetClusterId(), "service_account.namespace_id", req.Msg.GetServiceAccount().GetNamespaceId()); err != nil {
		return nil, err
	}
	in := req.Msg.GetServiceAccount()
	if in.GetId() == "" {
		out, token, err := s.add(ctx, in)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(&pb.SetPomeriumServiceAccountResponse{ServiceAccount: out, Jwt: token}), nil
	}
	sa, err := convert.ServiceAccountToStore(in)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	written, token, err := s.app.SetServiceAccount(ctx, c, manage.ServiceAccountInput{Account: sa, ExpectedVersion: req.Msg.ExpectedVersion})
	if err != nil {
		return nil, s.fail(ctx, err, serviceAccountFields)
	}
	return connect.NewResponse(&pb.SetPomeriumServiceAccountResponse{ServiceAccount: serviceAccountOut(written), Jwt: token}), nil
}

func (s *serviceAccounts) GetPomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.GetPomeriumServiceAccountRequest]) (*connect.Response[pb.GetPomeriumServiceAccountResponse], error) {
	if err := s.inCluster(ctx, req.Msg.GetClusterId(), "", ""); err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	sa, err := s.app.GetServiceAccount(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetPomeriumServiceAccountResponse{ServiceAccount: serviceAccountOut(sa)}), nil
}

func (s *serviceAccounts) ListPomeriumServiceAccounts(ctx context.Context, req *connect.Request[pb.ListPomeriumServiceAccountsRequest]) (*connect.Response[pb.ListPomeriumServiceAccountsResponse], error) {
	if err := s.inCluster(ctx, req.Msg.GetClusterId(), "namespace", req.Msg.GetNamespace()); err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.app.ListServiceAccounts(ctx, c, req.Msg.GetNamespace())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListPomeriumServiceAccountsResponse{}
	for _, sa := range list {
		out.ServiceAccounts = append(out.ServiceAccounts, serviceAccountOut(sa))
	}
	return connect.NewResponse(out), nil
}

func (s *serviceAccounts) DeletePomeriumServiceAccount(ctx context.Context, req *connect.Request[pb.DeletePomeriumServiceAccountRequest]) (*connect.Response[pb.DeletePomeriumServiceAccountResponse], error) {
	if err := s.inCluster(ctx, req.Msg.GetClusterId(), "", ""); err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteServiceAccount(ctx, c, req.Msg.GetId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeletePomeriumServiceAccountResponse{}), nil
}

// add creates an account and its first token.
func (s *serviceAccounts) add(ctx context.Context, in *pb.PomeriumServiceAccount) (*pb.PomeriumServiceAccount, string, error) {
	if in == nil {
		return nil, "", invalid("service_account", "is required")
	}
	sa, err := convert.ServiceAccountToStore(in)
	if err != nil {
		return nil, "", s.fail(ctx, err, at{})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, "", err
	}
	written, token, err := s.app.AddServiceAccount(ctx, c, sa)
	if err != nil {
		return nil, "", s.fail(ctx, err, serviceAccountFields)
	}
	return serviceAccountOut(written), token, nil
}

func serviceAccountOut(sa *manage.ServiceAccount) *pb.PomeriumServiceAccount {
	return convert.ServiceAccountFromStore(sa.ServiceAccount, sa.LastUsed)
}
