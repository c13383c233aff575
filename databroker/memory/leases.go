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
// holds it unexpired, which is AlreadyExists. Like Pomerium, it grants a
// lease of any duration, even one that has already expired.
func (s *Server) AcquireLease(_ context.Context, req *pb.AcquireLeaseRequest) (*pb.AcquireLeaseResponse, error) {
	id := uuid.NewString()
	if !s.lease(req.GetName(), id, req.GetDuration().AsDuration()) {
		return nil, status.Error(codes.AlreadyExists, "lease is already taken")
	}
	return &pb.AcquireLeaseResponse{Id: id}, nil
}

// RenewLease extends a lease the id holds, or one nobody holds unexpired,
// for the duration (a duration of zero or less lets it expire at once). An
// id whose lease someone else holds is AlreadyExists.
func (s *Server) RenewLease(_ context.Context, req *pb.RenewLeaseRequest) (*emptypb.Empty, error) {
	if !s.lease(req.GetName(), req.GetId(), req.GetDuration().AsDuration()) {
		return nil, status.Error(codes.AlreadyExists, "lease no longer held")
	}
	return &emptypb.Empty{}, nil
}

// ReleaseLease lets a lease the id holds expire, as Pomerium does: by
// leasing it for -1ns. Releasing a lease one does not hold is not an error.
func (s *Server) ReleaseLease(_ context.Context, req *pb.ReleaseLeaseRequest) (*emptypb.Empty, error) {
	s.lease(req.GetName(), req.GetId(), -1)
	return &emptypb.Empty{}, nil
}

// lease is Pomerium's single lease operation: a lease that is free,
// expired or held by id goes to id until now plus ttl; a lease another id
// holds unexpired is refused.
func (s *Server) lease(name, id string, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if l, ok := s.leases[name]; ok && l.id != id && !l.expiry.Before(now) {
		return false
	}
	s.leases[name] = lease{id: id, expiry: now.Add(ttl)}
	return true
}
