package memory

import (
	"context"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
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

// SetOptions replaces the options of a type. capacity takes effect at the
// type's next Put, as in Pomerium; indexable_fields at once; ttl within a
// trim (see trimLocked). Setting empty options removes them, and then, as
// Pomerium does (it reads the options back), answers NotFound. Options do
// not make a type one that ListTypes lists.
func (s *Server) SetOptions(_ context.Context, req *pb.SetOptionsRequest) (*pb.SetOptionsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if proto.Equal(req.GetOptions(), new(pb.Options)) {
		delete(s.options, req.GetType())
	} else {
		s.options[req.GetType()] = proto.CloneOf(req.GetOptions())
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
		return nil, status.Error(codes.NotFound, "no such options for databroker record")
	}
	return opts, nil
}

// typedOptionsLocked returns the options Sync and SyncLatest announce: of
// recordType, or, if it is empty, of every type that has live records and
// options, in type order (Pomerium goes through ListTypes).
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

// presetOptions are the options Pomerium's databroker gives types of its own
// when it starts (setupRequiredIndex in internal/databroker/server_backend.go);
// Clear drops them with all other options, and nothing sets them again.
func presetOptions() map[string]*pb.Options {
	const prefix = "type.googleapis.com/"
	fifteenMinutes := durationpb.New(15 * time.Minute)
	return map[string]*pb.Options{
		prefix + "session.SessionBindingRequest": {Capacity: proto.Uint64(50000), IndexableFields: []string{"key"}, Ttl: fifteenMinutes},
		prefix + "session.SessionBinding":        {IndexableFields: []string{"session_id", "user_id"}},
		prefix + "session.IdentityBinding":       {IndexableFields: []string{"user_id"}},
		prefix + "oauth21.UpstreamMCPToken":      {IndexableFields: []string{"user_id", "route_id"}},
		prefix + "oauth21.PendingUpstreamAuth":   {IndexableFields: []string{"state_id"}, Ttl: fifteenMinutes},
	}
}
