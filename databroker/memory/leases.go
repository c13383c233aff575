package memory

import (
	"context"
	"time"

	"github.com/google/uuid"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

type lease struct {
	id     string
	expiry time.Time
}

// AcquireLease grants the named lease under a new id unless someone else
// holds it unexpired, which is AlreadyExists.
func (s *Server) AcquireLease(_ context.Context, req *pb.AcquireLeaseRequest) (*pb.AcquireLeaseResponse, error) {
	id := uuid.NewString()
	if !s.lease(req.GetName(), id, req.GetDuration().AsDuration()) {
		return nil, status.Error(codes.AlreadyExists, "lease is already taken")
	}
	return &pb.AcquireLeaseResponse{Id: id}, nil
}

// RenewLease extends a lease the id holds. An id that lost the lease to
// someone else is AlreadyExists; as in Pomerium, an expired lease nobody
// took since is simply granted again to the same id.
func (s *Server) RenewLease(_ context.Context, req *pb.RenewLeaseRequest) (*emptypb.Empty, error) {
	if !s.lease(req.GetName(), req.GetId(), req.GetDuration().AsDuration()) {
		return nil, status.Error(codes.AlreadyExists, "lease no longer held")
	}
	return &emptypb.Empty{}, nil
}

// ReleaseLease gives up a lease the id holds; releasing a lease one does
// not hold is not an error.
func (s *Server) ReleaseLease(_ context.Context, req *pb.ReleaseLeaseRequest) (*emptypb.Empty, error) {
	s.lease(req.GetName(), req.GetId(), -1)
	return &emptypb.Empty{}, nil
}

// lease is Pomerium's single lease operation: a free or expired lease goes
// to id for ttl; a lease id holds is renewed for ttl, or released (and
// reported as not held) if ttl is not positive; a lease held by another id
// is refused.
func (s *Server) lease(name, id string, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	l, ok := s.leases[name]
	if !ok || l.expiry.Before(now) {
		if ttl < 0 {
			// A release of a lease nobody holds: granting an already
			// expired lease, as Pomerium does, would change nothing.
			return false
		}
		s.leases[name] = lease{id: id, expiry: now.Add(ttl)}
		return true
	}
	if l.id != id {
		return false
	}
	if ttl <= 0 {
		delete(s.leases, name)
		return false
	}
	s.leases[name] = lease{id: id, expiry: now.Add(ttl)}
	return true
}
