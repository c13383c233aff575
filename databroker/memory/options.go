package memory

import (
	"context"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// GetOptions returns the options of a type; a type without options is
// NotFound, as in Pomerium's in-memory backend.
func (s *Server) GetOptions(_ context.Context, req *pb.GetOptionsRequest) (*pb.GetOptionsResponse, error) {
	if req.GetType() == "" {
		return nil, status.Error(codes.InvalidArgument, "options req type is empty")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	opts, err := s.optionsLocked(req.GetType())
	if err != nil {
		return nil, err
	}
	return &pb.GetOptionsResponse{Options: opts}, nil
}

// SetOptions replaces the options of a type and applies its capacity at
// once. capacity and indexable_fields take effect; ttl is stored and
// reported but records do not expire. Setting empty options removes them,
// and then, as Pomerium does (it reads the options back), answers NotFound.
func (s *Server) SetOptions(_ context.Context, req *pb.SetOptionsRequest) (*pb.SetOptionsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.collectionLocked(req.GetType())
	if proto.Equal(req.GetOptions(), new(pb.Options)) {
		delete(s.options, req.GetType())
	} else {
		s.options[req.GetType()] = proto.CloneOf(req.GetOptions())
		now := s.clock()
		before := s.latestRecordVersion
		s.enforceCapacityLocked(req.GetType(), now)
		if s.latestRecordVersion != before {
			s.broadcastLocked()
		}
	}
	opts, err := s.optionsLocked(req.GetType())
	if err != nil {
		return nil, err
	}
	return &pb.SetOptionsResponse{Options: opts}, nil
}

func (s *Server) optionsLocked(recordType string) (*pb.Options, error) {
	opts, ok := s.options[recordType]
	if !ok {
		return nil, status.Error(codes.NotFound, "no such options for record type")
	}
	return opts, nil
}

// typedOptionsLocked returns the options Sync and SyncLatest announce: of
// recordType, or of every type with options, in type order, if it is empty.
func (s *Server) typedOptionsLocked(recordType string) []*pb.TypedOptions {
	types := []string{recordType}
	if recordType == "" {
		types = s.sortedTypesLocked()
	}
	var out []*pb.TypedOptions
	for _, t := range types {
		if opts, ok := s.options[t]; ok {
			out = append(out, &pb.TypedOptions{TypeURL: t, Options: opts})
		}
	}
	return out
}

// GetCheckpoint returns what SetCheckpoint stored. This server is never a
// cluster leader.
func (s *Server) GetCheckpoint(context.Context, *pb.GetCheckpointRequest) (*pb.GetCheckpointResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &pb.GetCheckpointResponse{Checkpoint: &pb.Checkpoint{
		ServerVersion: s.checkpointServerVersion,
		RecordVersion: s.checkpointRecordVersion,
	}}, nil
}

// SetCheckpoint stores a checkpoint, which Clear resets.
func (s *Server) SetCheckpoint(_ context.Context, req *pb.SetCheckpointRequest) (*pb.SetCheckpointResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpointServerVersion = req.GetCheckpoint().GetServerVersion()
	s.checkpointRecordVersion = req.GetCheckpoint().GetRecordVersion()
	return &pb.SetCheckpointResponse{}, nil
}
