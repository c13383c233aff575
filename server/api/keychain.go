package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// keyPairWriteRole is the role that creating, changing and deleting a key
// pair takes in its namespace; reading takes viewer.
const keyPairWriteRole = store.RoleAdmin

// keyPairFields maps the store's names of key pair fields to the request's.
var keyPairFields = map[string]string{"private_key": "key"}

// keyChain implements KeyChainService. Certificates come in as PEM and go
// out with the details of their leaf certificate; private keys go in and
// never come out. Deleting a key pair that routes or the settings still
// refer to is the store's call: it does not refuse, and the reconciler then
// reports the referring objects in error.
type keyChain struct{ *Server }

func (s *keyChain) GetKeyPair(ctx context.Context, req *connect.Request[pb.GetKeyPairRequest]) (*connect.Response[pb.GetKeyPairResponse], error) {
	_, kp, err := s.readKeyPair(ctx, req.Msg.GetId(), store.RoleViewer)
	if err != nil {
		return nil, err
	}
	out, err := s.keyPairsOut(ctx, kp)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.GetKeyPairResponse{KeyPair: out[0]}), nil
}

// ListKeyPairs lists the key pairs of one namespace. With domain, only
// those whose leaf certificate is valid for that host name: the store
// cannot filter by it, so the whole namespace is read and paged here.
func (s *keyChain) ListKeyPairs(ctx context.Context, req *connect.Request[pb.ListKeyPairsRequest]) (*connect.Response[pb.ListKeyPairsResponse], error) {
	if !store.ValidID(req.Msg.GetNamespaceId()) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	if req.Msg.Domain == nil {
		_, list, total, err := listIn[*store.KeyPair](ctx, s.Server, store.KindKeyPair, keyPairList{req.Msg})
		if err != nil {
			return nil, err
		}
		out, err := s.keyPairsOut(ctx, list...)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(&pb.ListKeyPairsResponse{KeyPairs: out, TotalCount: int64(total)}), nil
	}
	q, err := page(req.Msg.Offset, req.Msg.Limit, nil)
	if err != nil {
		return nil, err
	}
	var matching []*store.KeyPair
	for offset := 0; ; offset += maxPage {
		_, list, total, err := listIn[*store.KeyPair](ctx, s.Server, store.KindKeyPair, keyPairWindow{keyPairList{req.Msg}, offset})
		if err != nil {
			return nil, err
		}
		for _, kp := range list {
			if certifies(kp, req.Msg.GetDomain()) {
				matching = append(matching, kp)
			}
		}
		if offset+maxPage >= total {
			break
		}
	}
	total := len(matching)
	matching = matching[min(q.Offset, total):min(q.Offset+q.Limit, total)]
	out, err := s.keyPairsOut(ctx, matching...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.ListKeyPairsResponse{KeyPairs: out, TotalCount: int64(total)}), nil
}

// CreateKeyPair creates a key pair. A request that names an id takes it,
// unless a key pair already has it (AlreadyExists): create never updates.
func (s *keyChain) CreateKeyPair(ctx context.Context, req *connect.Request[pb.CreateKeyPairRequest]) (*connect.Response[pb.CreateKeyPairResponse], error) {
	kp, err := keyPairFromRequest(req.Msg)
	if err != nil {
		return nil, err
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.require(kp.NamespaceID, keyPairWriteRole); err != nil {
		return nil, err
	}
	out, err := s.write(ctx, a, &store.PutOp{Object: kp, CreateOnly: true})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.CreateKeyPairResponse{KeyPair: out}), nil
}

// UpdateKeyPair changes the fields the request sets. A request without a
// key keeps the stored one, which must then match the certificate.
func (s *keyChain) UpdateKeyPair(ctx context.Context, req *connect.Request[pb.UpdateKeyPairRequest]) (*connect.Response[pb.UpdateKeyPairResponse], error) {
	a, kp, err := s.readKeyPair(ctx, req.Msg.GetId(), keyPairWriteRole)
	if err != nil {
		return nil, err
	}
	if err := convert.ApplyKeyPairUpdate(kp, req.Msg); err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, requestField(err))
	}
	out, err := s.write(ctx, a, &store.PutOp{Object: kp, ExpectedVersion: req.Msg.GetExpectedVersion()})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.UpdateKeyPairResponse{KeyPair: out}), nil
}

// write stores a key pair and returns it as written.
func (s *keyChain) write(ctx context.Context, a *access, op *store.PutOp) (*pb.KeyPairRecord, error) {
	written, err := s.store.Apply(ctx, a.actor(), op)
	if err != nil {
		return nil, s.fail(ctx, requestFieldError(err, keyPairFields))
	}
	out, err := s.keyPairsOut(ctx, written[0].(*store.KeyPair))
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *keyChain) DeleteKeyPair(ctx context.Context, req *connect.Request[pb.DeleteKeyPairRequest]) (*connect.Response[pb.DeleteKeyPairResponse], error) {
	a, kp, err := s.readKeyPair(ctx, req.Msg.GetId(), keyPairWriteRole)
	if err != nil {
		return nil, err
	}
	if err := store.Delete(ctx, s.store, a.actor(), store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID}); err != nil {
		return nil, s.fail(ctx, err)
	}
	return connect.NewResponse(&pb.DeleteKeyPairResponse{}), nil
}

// readKeyPair returns the caller's access and a key pair it holds at least
// want over; one it cannot see is not found.
func (s *keyChain) readKeyPair(ctx context.Context, id string, want store.Role) (*access, *store.KeyPair, error) {
	if !store.ValidID(id) {
		return nil, nil, invalid("id", "must be a UUID")
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, nil, err
	}
	kp, err := store.Get[*store.KeyPair](ctx, s.store, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.can(kp.NamespaceID, store.RoleViewer)) {
		return nil, nil, notFound(store.KindKeyPair, id)
	}
	if err != nil {
		return nil, nil, s.fail(ctx, err)
	}
	if err := a.require(kp.NamespaceID, want); err != nil {
		return nil, nil, err
	}
	return a, kp, nil
}

// keyPairsOut converts key pairs with their sync status.
func (s *Server) keyPairsOut(ctx context.Context, list ...*store.KeyPair) ([]*pb.KeyPairRecord, error) {
	ids := make([]string, len(list))
	for i, kp := range list {
		ids[i] = kp.ID
	}
	st, err := s.statuses(ctx, store.KindKeyPair, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.KeyPairRecord, len(list))
	for i, kp := range list {
		out[i] = convert.KeyPairFromStore(kp, statusOf(st, kp.ID))
	}
	return out, nil
}

// keyPairFromRequest converts and checks a CreateKeyPair request as far as
// that needs nothing but the request: every refusal is InvalidArgument
// naming a field of the request.
func keyPairFromRequest(req *pb.CreateKeyPairRequest) (*store.KeyPair, error) {
	kp, err := convert.KeyPairFromCreate(req)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, requestField(err))
	}
	if !store.ValidID(kp.NamespaceID) {
		return nil, invalid("namespace_id", "must be the id of a namespace")
	}
	if err := store.Validate(store.Clone(kp), time.Now(), true); err != nil {
		return nil, requestFieldError(err, keyPairFields)
	}
	return kp, nil
}

// requestField names the field of a conversion error as the key pair
// requests do, at their top level: key_pair.format is format.
func requestField(err error) error {
	var fe *convert.FieldError
	if errors.As(err, &fe) {
		return &convert.FieldError{Field: strings.TrimPrefix(fe.Field, "key_pair."), Reason: fe.Reason}
	}
	return err
}

// certifies reports whether the leaf certificate of kp is valid for host.
func certifies(kp *store.KeyPair, host string) bool {
	certs, err := store.ParseCertificates(kp.Certificate)
	return err == nil && certs[0].VerifyHostname(host) == nil
}

// keyPairList is a ListKeyPairsRequest as listIn takes it.
type keyPairList struct{ *pb.ListKeyPairsRequest }

func (l keyPairList) GetNamespace() string { return l.GetNamespaceId() }

// keyPairWindow is a list request for the largest page at offset, whatever
// the request's own offset and limit.
type keyPairWindow struct {
	keyPairList
	offset int
}

func (w keyPairWindow) GetOffset() int64 { return int64(w.offset) }
func (w keyPairWindow) GetLimit() int64  { return maxPage }
