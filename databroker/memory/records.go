package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Put stores every record of the request under a new version, a record
// with deleted_at being a delete. There is no compare-and-swap: the last
// write wins, and an identical rewrite is still a new version.
func (s *Server) Put(_ context.Context, req *pb.PutRequest) (*pb.PutResponse, error) {
	records := req.GetRecords()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	var touched []string
	for _, r := range records {
		if r.GetDeletedAt() != nil {
			s.deleteLocked(r.GetType(), r.GetId(), now)
		} else {
			s.putLocked(r, now)
		}
		if !slices.Contains(touched, r.GetType()) {
			touched = append(touched, r.GetType())
		}
	}
	for _, recordType := range touched {
		s.enforceCapacityLocked(recordType, now)
	}
	s.trimLocked(now)
	s.broadcastLocked()
	s.log.V(1).Info("put", "records", len(records), "latestRecordVersion", s.latestRecordVersion)
	// Like Pomerium, answer with the request's records: those stored with
	// their version and modified_at filled in, deletes as they were sent.
	return &pb.PutResponse{ServerVersion: s.serverVersion, Records: records}, nil
}

// Get returns a live record; deleted and never-written ones are NotFound.
func (s *Server) Get(_ context.Context, req *pb.GetRequest) (*pb.GetResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.types[req.GetType()]; ok {
		if r, ok := c.get(req.GetId()); ok {
			return &pb.GetResponse{Record: r}, nil
		}
	}
	return nil, status.Error(codes.NotFound, "record not found")
}

// Query lists live records of a type (every type if empty) in type and id
// order, narrowed by the filter and then by the query string (a
// case-insensitive substring of any string field of the data), then paged.
// total_count counts the matches before paging.
func (s *Server) Query(_ context.Context, req *pb.QueryRequest) (*pb.QueryResponse, error) {
	if req.GetOffset() < 0 || req.GetLimit() < 0 {
		// Pomerium slices with these unchecked and would panic.
		return nil, status.Error(codes.InvalidArgument, "offset and limit must not be negative")
	}
	expr, err := parseFilter(req.GetFilter())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid query filter: %v", err)
	}
	query := strings.ToLower(req.GetQuery())

	s.mu.RLock()
	defer s.mu.RUnlock()
	records, err := expr.list(scope{s: s, recordType: req.GetType()})
	if err != nil {
		return nil, err
	}
	var matched []*pb.Record
	for _, r := range records {
		if query == "" || matchQuery(r.GetData(), query) {
			matched = append(matched, r)
		}
	}
	page, total := pb.ApplyOffsetAndLimit(matched, int(req.GetOffset()), int(req.GetLimit()))
	return &pb.QueryResponse{
		Records:       page,
		TotalCount:    int64(total),
		ServerVersion: s.serverVersion,
		RecordVersion: s.latestRecordVersion,
	}, nil
}

// ListTypes lists, sorted, the types that have live records.
func (s *Server) ListTypes(context.Context, *emptypb.Empty) (*pb.ListTypesResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &pb.ListTypesResponse{Types: s.sortedTypesLocked()}, nil
}

// ServerInfo reports the server version and the range of record versions
// Sync can still resume from: earliest_record_version stays zero until
// the change log is first trimmed.
func (s *Server) ServerInfo(context.Context, *emptypb.Empty) (*pb.ServerInfoResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trimLocked(s.clock())
	return &pb.ServerInfoResponse{
		ServerVersion:         s.serverVersion,
		EarliestRecordVersion: s.earliestRecordVersion,
		LatestRecordVersion:   s.latestRecordVersion,
	}, nil
}

// Clear drops records, options and checkpoint under a new server version,
// restarting record versions at 1, and ends open Sync streams; leases
// survive. As in Pomerium, every Clear draws a new server version, even of
// an empty server.
func (s *Server) Clear(context.Context, *emptypb.Empty) (*pb.ClearResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.serverVersion
	s.resetLocked()
	close(s.cleared)
	s.cleared = make(chan struct{})
	s.broadcastLocked()
	s.log.Info("databroker cleared", "oldServerVersion", old, "newServerVersion", s.serverVersion)
	return &pb.ClearResponse{OldServerVersion: old, NewServerVersion: s.serverVersion}, nil
}

// Patch overwrites the fields of stored records that the mask names with
// the fields of the request's records, as Pomerium does: a field the mask
// names but the request's record leaves unset is cleared, and a record
// that is not stored is skipped. The data of both must be messages this
// process knows (the console links Pomerium's session, user and device
// messages); others are refused.
func (s *Server) Patch(_ context.Context, req *pb.PatchRequest) (*pb.PatchResponse, error) {
	paths := req.GetFieldMask().GetPaths()
	if len(paths) == 0 {
		return nil, status.Error(codes.InvalidArgument, "patch needs a field mask")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	var patched []*pb.Record
	for _, r := range req.GetRecords() {
		c, ok := s.types[r.GetType()]
		if !ok {
			continue
		}
		old, ok := c.get(r.GetId())
		if !ok {
			continue
		}
		data, err := patchData(old.GetData(), r.GetData(), paths)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "patch %s %s: %v", r.GetType(), r.GetId(), err)
		}
		next := &pb.Record{Type: old.GetType(), Id: old.GetId(), Data: data}
		s.putLocked(next, now)
		patched = append(patched, next)
	}
	s.trimLocked(now)
	s.broadcastLocked()
	return &pb.PatchResponse{ServerVersion: s.serverVersion, Records: patched}, nil
}

// patchData copies the fields paths name from patch into a copy of stored.
func patchData(stored, patch *anypb.Any, paths []string) (*anypb.Any, error) {
	if stored.GetTypeUrl() != patch.GetTypeUrl() {
		return nil, fmt.Errorf("data of type %s cannot patch data of type %s", patch.GetTypeUrl(), stored.GetTypeUrl())
	}
	dst, err := stored.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("decode the stored data: %w", err)
	}
	src, err := patch.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("decode the patch: %w", err)
	}
	for _, path := range paths {
		if err := copyPath(src.ProtoReflect(), dst.ProtoReflect(), strings.Split(path, ".")); err != nil {
			return nil, fmt.Errorf("field mask path %q: %w", path, err)
		}
	}
	return anypb.New(dst)
}

// copyPath sets the field at path of dst to that of src, or clears it
// where src does not set it.
func copyPath(src, dst protoreflect.Message, path []string) error {
	fd := dst.Descriptor().Fields().ByName(protoreflect.Name(path[0]))
	if fd == nil {
		return fmt.Errorf("%s has no field %s", dst.Descriptor().FullName(), path[0])
	}
	if len(path) > 1 {
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return fmt.Errorf("%s is not a message field", path[0])
		}
		if !src.Has(fd) && !dst.Has(fd) {
			return nil
		}
		return copyPath(src.Get(fd).Message(), dst.Mutable(fd).Message(), path[1:])
	}
	if src.Has(fd) {
		dst.Set(fd, src.Get(fd))
	} else {
		dst.Clear(fd)
	}
	return nil
}
