package memory

import (
	"context"
	"fmt"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// syncBatch bounds how many changes a Sync stream reads under the lock at
// once, so a stream catching up on a long log does not stall writers.
const syncBatch = 1024

var (
	errInvalidServerVersion = status.Error(codes.Aborted, "invalid server version")
	errInvalidRecordVersion = status.Error(codes.Aborted, "invalid record version")
	// errCleared is what Pomerium's streams end with when Clear cancels
	// them: a canceled context, which gRPC reports as Canceled.
	errCleared = status.FromContextError(context.Canceled).Err()
)

// SyncLatest streams every live record (of req.Type, or of every type in
// type order), then the options of those types, then one Versions message
// with the server version and the latest record version the records are
// current to. A client follows up with Sync from that record version.
func (s *Server) SyncLatest(req *pb.SyncLatestRequest, stream grpc.ServerStreamingServer[pb.SyncLatestResponse]) error {
	s.mu.RLock()
	types := []string{req.GetType()}
	if req.GetType() == "" {
		types = s.sortedTypesLocked()
	}
	var records []*pb.Record
	for _, t := range types {
		if c, ok := s.types[t]; ok {
			records = append(records, c.all()...)
		}
	}
	options := s.typedOptionsLocked(req.GetType())
	versions := &pb.Versions{ServerVersion: s.serverVersion, LatestRecordVersion: s.latestRecordVersion}
	s.mu.RUnlock()

	for _, r := range records {
		if err := stream.Send(&pb.SyncLatestResponse{Response: &pb.SyncLatestResponse_Record{Record: r}}); err != nil {
			return fmt.Errorf("send record: %w", err)
		}
	}
	for _, o := range options {
		if err := stream.Send(&pb.SyncLatestResponse{Response: &pb.SyncLatestResponse_Options{Options: o}}); err != nil {
			return fmt.Errorf("send options: %w", err)
		}
	}
	if err := stream.Send(&pb.SyncLatestResponse{Response: &pb.SyncLatestResponse_Versions{Versions: versions}}); err != nil {
		return fmt.Errorf("send versions: %w", err)
	}
	return nil
}

// Sync refuses with Aborted a server version other than ours, or a record
// version older than the retained change log; otherwise it sends the
// options of the type (or of every type), then every change after
// req.RecordVersion, one record per message in version order, tombstones
// included, and keeps sending new changes until the client goes away,
// unless req.Wait is false.
func (s *Server) Sync(req *pb.SyncRequest, stream grpc.ServerStreamingServer[pb.SyncResponse]) error {
	s.mu.Lock()
	s.trimLocked(s.clock())
	err := s.checkResumableLocked(req.GetServerVersion(), req.GetRecordVersion())
	options := s.typedOptionsLocked(req.GetType())
	cleared := s.cleared
	s.mu.Unlock()
	if err != nil {
		return err
	}

	for _, o := range options {
		if err := stream.Send(&pb.SyncResponse{Response: &pb.SyncResponse_Options{Options: o}}); err != nil {
			return fmt.Errorf("send options: %w", err)
		}
	}
	wait := req.Wait == nil || req.GetWait()
	after := req.GetRecordVersion()
	for {
		s.mu.Lock()
		s.trimLocked(s.clock())
		var records []*pb.Record
		last := after
		err := s.checkStreamLocked(cleared, after)
		if err == nil {
			records, last = s.changesAfterLocked(req.GetType(), after, syncBatch)
		}
		changed := s.changed
		s.mu.Unlock()
		if err != nil {
			return err
		}

		for _, r := range records {
			if err := stream.Send(&pb.SyncResponse{Response: &pb.SyncResponse_Record{Record: r}}); err != nil {
				return fmt.Errorf("send record: %w", err)
			}
		}
		if last != after {
			after = last
			continue
		}
		if !wait {
			return nil
		}
		select {
		case <-stream.Context().Done():
			return status.FromContextError(stream.Context().Err()).Err()
		case <-cleared:
			return errCleared
		case <-changed:
		}
	}
}

// checkResumableLocked is Pomerium's test for whether a client's position
// is still valid: the same server version, and a record version no older
// than one before the earliest retained change.
func (s *Server) checkResumableLocked(serverVersion, recordVersion uint64) error {
	if serverVersion != s.serverVersion {
		return errInvalidServerVersion
	}
	if s.earliestRecordVersion > 0 && recordVersion < s.earliestRecordVersion-1 {
		return errInvalidRecordVersion
	}
	return nil
}

// checkStreamLocked ends an open stream whose position stopped being
// valid: Clear restarted the versions, or the stream fell so far behind
// that the changes it still needs were trimmed. Pomerium skips trimmed
// changes silently there; a client cannot notice the gap, so refusing
// with Aborted is the safer answer.
func (s *Server) checkStreamLocked(cleared chan struct{}, after uint64) error {
	select {
	case <-cleared:
		return errCleared
	default:
	}
	if s.earliestRecordVersion > 0 && after < s.earliestRecordVersion-1 {
		return errInvalidRecordVersion
	}
	return nil
}
