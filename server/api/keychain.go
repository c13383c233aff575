package api

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// keyChain implements KeyChainService over the use cases of key pairs.
// Certificates come in as PEM and go out with the details of their leaf
// certificate; private keys go in and never come out.
type keyChain struct{ *Server }

// keyPairFields says where a key pair's fields are in the key pair
// requests: at the top level, the private key as key.
var keyPairFields = at{renames: map[string]string{"private_key": "key"}}

func (s *keyChain) GetKeyPair(ctx context.Context, req *connect.Request[pb.GetKeyPairRequest]) (*connect.Response[pb.GetKeyPairResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	kp, err := s.app.GetKeyPair(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetKeyPairResponse{KeyPair: keyPairOut(kp)}), nil
}

// ListKeyPairs lists the key pairs of one namespace; with domain, those
// whose leaf certificate is valid for that host name.
func (s *keyChain) ListKeyPairs(ctx context.Context, req *connect.Request[pb.ListKeyPairsRequest]) (*connect.Response[pb.ListKeyPairsResponse], error) {
	c, q, err := s.listQuery(ctx, keyPairList{req.Msg})
	if err != nil {
		return nil, err
	}
	page, err := s.app.ListKeyPairs(ctx, c, manage.KeyPairQuery{ListQuery: q, Domain: req.Msg.Domain})
	if err != nil {
		return nil, s.fail(ctx, err, at{renames: map[string]string{"namespace": "namespace_id"}})
	}
	out := &pb.ListKeyPairsResponse{TotalCount: int64(page.Total)}
	for _, kp := range page.Items {
		out.KeyPairs = append(out.KeyPairs, keyPairOut(kp))
	}
	return connect.NewResponse(out), nil
}

// CreateKeyPair creates a key pair. A request that names an id takes it,
// unless a key pair already has it (AlreadyExists): create never updates.
func (s *keyChain) CreateKeyPair(ctx context.Context, req *connect.Request[pb.CreateKeyPairRequest]) (*connect.Response[pb.CreateKeyPairResponse], error) {
	kp, err := keyPairFromRequest(req.Msg)
	if err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	written, err := s.app.CreateKeyPair(ctx, c, kp)
	if err != nil {
		return nil, s.fail(ctx, err, keyPairFields)
	}
	return connect.NewResponse(&pb.CreateKeyPairResponse{KeyPair: keyPairOut(written)}), nil
}

// UpdateKeyPair changes the fields the request sets. A request without a
// key keeps the stored one, which must then match the certificate.
func (s *keyChain) UpdateKeyPair(ctx context.Context, req *connect.Request[pb.UpdateKeyPairRequest]) (*connect.Response[pb.UpdateKeyPairResponse], error) {
	u, err := convert.KeyPairUpdate(req.Msg)
	if err != nil {
		return nil, s.fail(ctx, topLevel(err), at{})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	written, err := s.app.UpdateKeyPair(ctx, c, u)
	if err != nil {
		return nil, s.fail(ctx, err, keyPairFields)
	}
	return connect.NewResponse(&pb.UpdateKeyPairResponse{KeyPair: keyPairOut(written)}), nil
}

func (s *keyChain) DeleteKeyPair(ctx context.Context, req *connect.Request[pb.DeleteKeyPairRequest]) (*connect.Response[pb.DeleteKeyPairResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteKeyPair(ctx, c, req.Msg.GetId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.DeleteKeyPairResponse{}), nil
}

// keyPairFromRequest converts and checks a CreateKeyPair request as far as
// that needs nothing but the request: every refusal is InvalidArgument
// naming a field of the request.
func keyPairFromRequest(req *pb.CreateKeyPairRequest) (*store.KeyPair, error) {
	kp, err := convert.KeyPairFromCreate(req)
	if err != nil {
		return nil, refusal(topLevel(err), at{})
	}
	if err := manage.CheckKeyPair(kp); err != nil {
		return nil, refusal(err, keyPairFields)
	}
	return kp, nil
}

func keyPairOut(kp *manage.KeyPair) *pb.KeyPairRecord {
	return convert.KeyPairFromStore(kp.KeyPair, kp.Status)
}

// topLevel names the field of a conversion error as the key pair requests
// do, at their top level: key_pair.format is format.
func topLevel(err error) error {
	var fe *convert.FieldError
	if errors.As(err, &fe) {
		return &convert.FieldError{Field: strings.TrimPrefix(fe.Field, "key_pair."), Reason: fe.Reason}
	}
	return err
}

// keyPairList is a ListKeyPairsRequest as a list request, whose namespace
// is namespace_id.
type keyPairList struct{ *pb.ListKeyPairsRequest }

func (l keyPairList) GetNamespace() string { return l.GetNamespaceId() }
