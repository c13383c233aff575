package memory

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// recvRecords reads n record messages from a Sync stream.
func recvRecords(t *testing.T, stream grpc.ServerStreamingClient[pb.SyncResponse], n int) []*pb.Record {
	t.Helper()
	var out []*pb.Record
	for len(out) < n {
		res, err := stream.Recv()
		if err != nil {
			t.Fatalf("recv after %v: %v", ids(out), err)
		}
		if r := res.GetRecord(); r != nil {
			out = append(out, r)
		}
	}
	return out
}

func TestSyncLatestExcludesTombstones(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"), record(typePolicy, "p1", "b"), record(typeRoute, "r2", "c"))
	h.put(t, tombstone(typeRoute, "r1"))
	capacity := uint64(10)
	if _, err := h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute, Options: &pb.Options{Capacity: &capacity}}); err != nil {
		t.Fatalf("set options: %v", err)
	}

	stream, err := h.client.SyncLatest(h.streamCtx(t), &pb.SyncLatestRequest{})
	if err != nil {
		t.Fatalf("sync latest: %v", err)
	}
	var got []string
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("recv: %v", err)
		}
		switch {
		case res.GetRecord() != nil:
			got = append(got, "record "+res.GetRecord().GetId())
		case res.GetOptions() != nil:
			got = append(got, "options "+res.GetOptions().GetTypeURL())
		case res.GetVersions() != nil:
			v := res.GetVersions()
			if v.GetServerVersion() != h.srv.ServerVersion() || v.GetLatestRecordVersion() != 4 {
				t.Errorf("versions = %v, want server %d latest 4", v, h.srv.ServerVersion())
			}
			got = append(got, "versions")
		}
	}
	want := []string{"record p1", "record r2", "options " + typeRoute, "versions"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sync latest messages (-want +got):\n%s", diff)
	}

	byType, err := h.client.SyncLatest(h.streamCtx(t), &pb.SyncLatestRequest{Type: typePolicy})
	if err != nil {
		t.Fatalf("sync latest: %v", err)
	}
	first, err := byType.Recv()
	if err != nil || first.GetRecord().GetId() != "p1" {
		t.Fatalf("first message of a typed sync latest = %v, %v", first, err)
	}
	last, err := byType.Recv()
	if err != nil || last.GetVersions() == nil {
		t.Fatalf("second message = %v, %v; want versions", last, err)
	}
}

func TestSyncStreamsChangesThenWaits(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b"))
	from := h.latest(t)
	h.put(t, record(typePolicy, "p1", "c"), tombstone(typeRoute, "r1"), record(typeRoute, "r2", "b"))

	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion(), RecordVersion: from})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	got := recvRecords(t, stream, 3)
	want := []string{typePolicy + "/p1", typeRoute + "/r1(deleted)", typeRoute + "/r2"}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("changes after %d (-want +got):\n%s", from, diff)
	}
	for i, r := range got {
		if r.GetVersion() != from+uint64(i)+1 {
			t.Errorf("change %d has version %d, want %d", i, r.GetVersion(), from+uint64(i)+1)
		}
	}

	// The stream stays open and delivers what is written next.
	live := h.put(t, record(typeRoute, "r3", "d")).GetRecord()
	next := recvRecords(t, stream, 1)[0]
	if !proto.Equal(next, live) {
		t.Errorf("live change = %v, want %v", next, live)
	}
}

func TestSyncFiltersByTypeAndSendsOptionsFirst(t *testing.T) {
	t.Parallel()
	h := start(t)
	capacity := uint64(10)
	if _, err := h.client.SetOptions(h.ctx(t), &pb.SetOptionsRequest{Type: typeRoute, Options: &pb.Options{Capacity: &capacity}}); err != nil {
		t.Fatalf("set options: %v", err)
	}
	h.put(t, record(typePolicy, "p1", "a"), record(typeRoute, "r1", "b"), record(typePolicy, "p2", "c"))

	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion(), Type: typeRoute})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetOptions().GetTypeURL() != typeRoute {
		t.Fatalf("first message = %v, %v; want the type's options", first, err)
	}
	if got := recvRecords(t, stream, 1); got[0].GetId() != "r1" {
		t.Errorf("typed sync sent %v", ids(got))
	}
	h.put(t, record(typePolicy, "p3", "d"), record(typeRoute, "r2", "e"))
	if got := recvRecords(t, stream, 1); got[0].GetId() != "r2" {
		t.Errorf("typed sync sent %v, want r2 only", ids(got))
	}
}

func TestSyncWithoutWaitEnds(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b"))

	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion(), Wait: proto.Bool(false)})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	recvRecords(t, stream, 2)
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last change got %v, want EOF", err)
	}
}

func TestSyncWrongServerVersionIsAborted(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"))

	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion() + 1})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.Aborted)
}

func TestSyncOlderThanChangeLogIsAborted(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b")) // versions 1, 2
	h.clock.Advance(2 * time.Hour)
	h.put(t, record(typeRoute, "r3", "c")) // version 3; 1 and 2 fall out of the hour

	info, err := h.client.ServerInfo(h.ctx(t), &emptypb.Empty{})
	if err != nil {
		t.Fatalf("server info: %v", err)
	}
	if info.GetEarliestRecordVersion() != 3 || info.GetLatestRecordVersion() != 3 {
		t.Errorf("server info = %v, want earliest 3 latest 3", info)
	}

	stale, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion(), RecordVersion: 1})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	_, err = stale.Recv()
	wantCode(t, err, codes.Aborted)

	// A client that saw everything up to the trimmed part still resumes.
	fresh, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion(), RecordVersion: 2})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if got := recvRecords(t, fresh, 1); got[0].GetId() != "r3" {
		t.Errorf("resumed sync sent %v", ids(got))
	}
}

func TestSyncMaxChanges(t *testing.T) {
	t.Parallel()
	h := start(t, func(o *Options) { o.MaxChanges = 2 })
	h.put(t, record(typeRoute, "r1", "a"), record(typeRoute, "r2", "b"), record(typeRoute, "r3", "c"))

	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: h.srv.ServerVersion()})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.Aborted)
}

func TestClearEndsSyncStreams(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.put(t, record(typeRoute, "r1", "a"))
	old := h.srv.ServerVersion()

	stream, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: old})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	recvRecords(t, stream, 1)
	if _, err := h.client.Clear(h.ctx(t), &emptypb.Empty{}); err != nil {
		t.Fatalf("clear: %v", err)
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.Canceled)

	again, err := h.client.Sync(h.streamCtx(t), &pb.SyncRequest{ServerVersion: old})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	_, err = again.Recv()
	wantCode(t, err, codes.Aborted)
}

func TestRestartHasNewServerVersion(t *testing.T) {
	t.Parallel()
	first := start(t)
	first.put(t, record(typeRoute, "r1", "a"))
	old := first.srv.ServerVersion()
	first.srv.Stop()

	second := start(t)
	if second.srv.ServerVersion() == old {
		t.Fatalf("restarted server kept server version %d", old)
	}
	stream, err := second.client.Sync(second.streamCtx(t), &pb.SyncRequest{ServerVersion: old, RecordVersion: 1})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.Aborted)
}
