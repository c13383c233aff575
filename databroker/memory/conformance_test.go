package memory_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
)

// The conformance tests drive the embedded databroker and Pomerium v0.33.0's
// own (dbserver, in-memory storage) through the same calls and compare what
// each answered, after naming server versions by order of appearance and
// counting record versions from where the scenario started. The embedded
// one exists to answer as Pomerium's does; where it does not, it is fixed
// and the scenario that showed it stays here.

var pomerium *pomeriumtest.Databroker

func TestMain(m *testing.M) { os.Exit(pomeriumtest.Main(m, &pomerium)) }

// scenario drives one databroker and notes what it answers.
type scenario struct {
	name string
	run  func(s *session)
}

func TestConformsToPomerium(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			ours := play(t, sc, embeddedTarget(t))
			pomerium.Exclusive(t)
			theirs := play(t, sc, target{addr: pomerium.Addr(), secret: pomerium.SharedSecret()})
			if diff := cmp.Diff(theirs, ours); diff != "" {
				t.Errorf("the embedded databroker answers unlike Pomerium's (-pomerium +embedded):\n%s", diff)
			}
		})
	}
}

// TestFreshServerPresetsOptions: a databroker that has just started has
// options for types of Pomerium's own, which a Clear drops.
func TestFreshServerPresetsOptions(t *testing.T) {
	t.Parallel()
	pomerium.Exclusive(t)
	if err := pomerium.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	fresh := func(s *session) {
		for _, t := range []string{"session.SessionBindingRequest", "session.SessionBinding", "session.IdentityBinding",
			"oauth21.UpstreamMCPToken", "oauth21.PendingUpstreamAuth", "session.Session", "pomerium.config.Route"} {
			res, err := s.c.GetOptions(s.ctx(), &pb.GetOptionsRequest{Type: "type.googleapis.com/" + t})
			if err != nil {
				s.noteErr("options of "+t, err)
				continue
			}
			s.note("options of %s: %s", t, compact(res.GetOptions()))
		}
		s.listTypes()
		s.syncLatest("")
	}
	ours := playFresh(t, fresh, embeddedTarget(t))
	theirs := playFresh(t, fresh, target{addr: pomerium.Addr(), secret: pomerium.SharedSecret()})
	if diff := cmp.Diff(theirs, ours); diff != "" {
		t.Errorf("a fresh embedded databroker answers unlike a fresh one of Pomerium (-pomerium +embedded):\n%s", diff)
	}
}

// target is a databroker to play a scenario against.
type target struct {
	addr   string
	secret []byte
}

func embeddedTarget(t *testing.T) target {
	t.Helper()
	secret := []byte(strings.Repeat("k", 32))
	srv := memory.New(memory.Options{SharedSecret: secret})
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return target{addr: addr.String(), secret: secret}
}

func play(t *testing.T, sc scenario, tg target) []string {
	t.Helper()
	return playFresh(t, func(s *session) {
		// Both start cleared: the options Pomerium's databroker gives its
		// own types when it starts are gone after a Clear (see
		// TestFreshServerPresetsOptions).
		if _, err := s.c.Clear(s.ctx(), &emptypb.Empty{}); err != nil {
			t.Fatalf("clear: %v", err)
		}
		info, err := s.c.ServerInfo(s.ctx(), &emptypb.Empty{})
		if err != nil {
			t.Fatalf("server info: %v", err)
		}
		s.base = info.GetLatestRecordVersion()
		sc.run(s)
	}, tg)
}

// playFresh runs a scenario against a databroker as it is.
func playFresh(t *testing.T, run func(s *session), tg target) []string {
	t.Helper()
	conn, err := grpc.NewClient(tg.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	s := &session{t: t, c: pb.NewDataBrokerServiceClient(conn), cp: pb.NewCheckpointServiceClient(conn),
		secret: tg.secret, servers: map[uint64]string{}}
	run(s)
	return s.lines
}

// session is one play of a scenario: a client, and the notes of what the
// databroker answered.
type session struct {
	t       *testing.T
	c       pb.DataBrokerServiceClient
	cp      pb.CheckpointServiceClient
	secret  []byte
	lines   []string
	servers map[uint64]string
	base    uint64
}

// ctx carries a token freshly signed with the shared secret.
func (s *session) ctx() context.Context {
	s.t.Helper()
	return s.ctxWith(s.secret, time.Now())
}

func (s *session) ctxWith(secret []byte, now time.Time) context.Context {
	s.t.Helper()
	token, err := databroker.SignToken(secret, now)
	if err != nil {
		s.t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(s.t.Context(), databroker.MetadataKey, token)
}

func (s *session) note(format string, args ...any) {
	s.lines = append(s.lines, fmt.Sprintf(format, args...))
}

// noteErr notes an error's code and message, or "ok".
func (s *session) noteErr(what string, err error) {
	if err == nil {
		s.note("%s: ok", what)
		return
	}
	st := status.Convert(err)
	s.note("%s: %v %q", what, st.Code(), st.Message())
}

// sv names a server version by the order in which the session met it.
func (s *session) sv(v uint64) string {
	if v == 0 {
		return "none"
	}
	name, ok := s.servers[v]
	if !ok {
		name = fmt.Sprintf("S%d", len(s.servers)+1)
		s.servers[v] = name
	}
	return name
}

// rv counts a record version from the scenario's start.
func (s *session) rv(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("+%d", int64(v)-int64(s.base))
}

// rec describes a record in one word: type/id@version, its value, and
// whether it is deleted and stamped.
func (s *session) rec(r *pb.Record) string {
	out := fmt.Sprintf("%s/%s@%s", strings.TrimPrefix(r.GetType(), "type.googleapis.com/"), r.GetId(), s.rv(r.GetVersion()))
	var v wrapperspb.StringValue
	if r.GetData() != nil {
		if err := r.GetData().UnmarshalTo(&v); err == nil {
			out += "=" + v.GetValue()
		} else {
			out += "=" + r.GetData().GetTypeUrl()
		}
	}
	if r.GetDeletedAt() != nil {
		out += " deleted"
	}
	if r.GetModifiedAt() == nil {
		out += " unstamped"
	}
	return out
}

func (s *session) recs(records []*pb.Record) string {
	parts := make([]string, len(records))
	for i, r := range records {
		parts[i] = s.rec(r)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// put writes records and notes the answer.
func (s *session) put(records ...*pb.Record) {
	s.t.Helper()
	res, err := s.c.Put(s.ctx(), &pb.PutRequest{Records: records})
	if err != nil {
		s.noteErr("put", err)
		return
	}
	s.note("put: %s %s", s.sv(res.GetServerVersion()), s.recs(res.GetRecords()))
}

func (s *session) get(recordType, id string) {
	s.t.Helper()
	res, err := s.c.Get(s.ctx(), &pb.GetRequest{Type: recordType, Id: id})
	if err != nil {
		s.noteErr("get "+id, err)
		return
	}
	s.note("get %s: %s", id, s.rec(res.GetRecord()))
}

func (s *session) query(what string, req *pb.QueryRequest) {
	s.t.Helper()
	res, err := s.c.Query(s.ctx(), req)
	if err != nil {
		s.noteErr("query "+what, err)
		return
	}
	s.note("query %s: total %d %s server %s record %s", what, res.GetTotalCount(), s.recs(res.GetRecords()),
		s.sv(res.GetServerVersion()), s.rv(res.GetRecordVersion()))
}

func (s *session) info() {
	s.t.Helper()
	res, err := s.c.ServerInfo(s.ctx(), &emptypb.Empty{})
	if err != nil {
		s.noteErr("server info", err)
		return
	}
	s.note("server info: %s earliest %s latest %s", s.sv(res.GetServerVersion()), s.rv(res.GetEarliestRecordVersion()), s.rv(res.GetLatestRecordVersion()))
}

// ours keeps the types a scenario uses: Pomerium's databroker also lists
// the types of its own sessions, whose options it sets when it starts.
func ours(recordType string) bool { return strings.HasPrefix(recordType, "type.googleapis.com/test.") }

func (s *session) syncLatest(recordType string) (versions *pb.Versions) {
	s.t.Helper()
	stream, err := s.c.SyncLatest(s.ctx(), &pb.SyncLatestRequest{Type: recordType})
	if err != nil {
		s.noteErr("sync latest", err)
		return nil
	}
	got, err := collect(stream.Recv, func(msg *pb.SyncLatestResponse) string {
		if v := msg.GetVersions(); v != nil {
			versions = v
			return "versions " + s.sv(v.GetServerVersion()) + " " + s.rv(v.GetLatestRecordVersion())
		}
		return s.streamed(msg.GetRecord(), msg.GetOptions())
	})
	if err != nil {
		s.noteErr("sync latest", err)
		return nil
	}
	s.note("sync latest %q: %s", recordType, strings.Join(got, ", "))
	return versions
}

func (s *session) listTypes() {
	s.t.Helper()
	res, err := s.c.ListTypes(s.ctx(), &emptypb.Empty{})
	if err != nil {
		s.noteErr("list types", err)
		return
	}
	s.note("list types: %v", res.GetTypes())
}

// syncOnce reads a Sync stream that does not wait for more.
func (s *session) syncOnce(what string, req *pb.SyncRequest) {
	s.t.Helper()
	req.Wait = proto.Bool(false)
	ctx, cancel := context.WithTimeout(s.ctx(), 10*time.Second)
	defer cancel()
	stream, err := s.c.Sync(ctx, req)
	if err != nil {
		s.noteErr("sync "+what, err)
		return
	}
	got, err := collect(stream.Recv, func(msg *pb.SyncResponse) string {
		return s.streamed(msg.GetRecord(), msg.GetOptions())
	})
	if err != nil {
		s.note("sync %s: %s, then", what, strings.Join(got, ", "))
		s.noteErr("sync "+what, err)
		return
	}
	s.note("sync %s: %s", what, strings.Join(got, ", "))
}

// collect describes the messages of a stream until it ends; an empty
// description leaves a message out.
func collect[M any](recv func() (*M, error), describe func(*M) string) ([]string, error) {
	var out []string
	for {
		msg, err := recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if d := describe(msg); d != "" {
			out = append(out, d)
		}
	}
}

// streamed describes a record or options message of a stream, if it is
// about a type of the scenario's.
func (s *session) streamed(rec *pb.Record, opts *pb.TypedOptions) string {
	switch {
	case rec != nil && ours(rec.GetType()):
		return s.rec(rec)
	case opts != nil && ours(opts.GetTypeURL()):
		return "options " + opts.GetTypeURL() + " " + compact(opts.GetOptions())
	}
	return ""
}

func compact(m proto.Message) string {
	return strings.Join(strings.Fields(fmt.Sprint(m)), " ")
}

const (
	typeA = "type.googleapis.com/test.A"
	typeB = "type.googleapis.com/test.B"
	typeC = "type.googleapis.com/test.C"
)

func record(recordType, id, value string) *pb.Record {
	data, err := anypb.New(wrapperspb.String(value))
	if err != nil {
		panic(err)
	}
	return &pb.Record{Type: recordType, Id: id, Data: data}
}

func metadataWith(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, databroker.MetadataKey, token)
}
