package pomeriumtest

import (
	"context"
	"errors"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
)

var shared *Databroker

func TestMain(m *testing.M) { os.Exit(Main(m, &shared)) }

func record(t *testing.T, recordType, id string, msg proto.Message) *pb.Record {
	t.Helper()
	data, err := anypb.New(msg)
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Record{Type: "type.googleapis.com/" + recordType, Id: id, Data: data}
}

// TestCheckReportsWhatPomeriumBuilds writes a policy and two routes, one
// naming a policy that does not exist, and reads configcheck's verdict.
func TestCheckReportsWhatPomeriumBuilds(t *testing.T) {
	t.Parallel()
	shared.Exclusive(t)
	ppl := "allow:\n  or:\n    - email:\n        is: a@example.com\n"
	_, err := shared.Dial(t).Put(t.Context(), []*pb.Record{
		record(t, "pomerium.config.Policy", "p1", &configpb.Policy{Id: proto.String("p1"), Name: proto.String("one"), SourcePpl: &ppl}),
		record(t, "pomerium.config.Route", "r1", &configpb.Route{Id: proto.String("r1"), From: "https://a.example.com",
			To: []string{"http://a.internal"}, PolicyIds: []string{"p1", "missing"}}),
		record(t, "pomerium.config.Route", "r2", &configpb.Route{Id: proto.String("r2"), From: "tcp+https://db.example.com:5432",
			To: []string{"tcp://db.internal:5432"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := shared.Check(t.Context(), CheckOptions{Settle: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 0 || !r.Summary.LastBuildOK || r.Summary.Routes != 2 || r.Summary.ServedRoutes != 2 {
		t.Fatalf("exit %d, summary %s", r.ExitCode, r.Summary.Raw)
	}
	i := slices.IndexFunc(r.Routes, func(r Route) bool { return r.ID == "r1" })
	if i < 0 {
		t.Fatalf("route r1 not reported: %+v", r.Routes)
	}
	got := r.Routes[i]
	if !got.Served || len(got.Policies) != 1 || got.Policies[0].ID != "p1" || got.Policies[0].PPL != ppl ||
		len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "missing") {
		t.Errorf("route r1 reported as %s", got.Raw)
	}
}

// TestCheckFailsABadBuild: one route without a scheme makes Pomerium reject
// the whole configuration, and configcheck -strict exit 1.
func TestCheckFailsABadBuild(t *testing.T) {
	t.Parallel()
	shared.Exclusive(t)
	if _, err := shared.Dial(t).Put(t.Context(), []*pb.Record{
		record(t, "pomerium.config.Route", "bad", &configpb.Route{Id: proto.String("bad"), From: "bad.example.com", To: []string{"http://a.internal"}}),
	}); err != nil {
		t.Fatal(err)
	}
	r, err := shared.Check(t.Context(), CheckOptions{Settle: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode != 1 || r.Summary.LastBuildOK || r.Summary.Reason == "" {
		t.Errorf("exit %d, summary %s", r.ExitCode, r.Summary.Raw)
	}
}

// TestRestartAndIntercepted: a restart empties the databroker under a new
// server version on the same address, and the forwarder passes calls on
// with the caller's token unless its interceptor refuses them.
func TestRestartAndIntercepted(t *testing.T) {
	t.Parallel()
	d, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	addr := d.Intercepted(t, func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if path.Base(info.FullMethod) == "Clear" {
			return nil, status.Error(codes.PermissionDenied, "refused by the test")
		}
		return h(ctx, req)
	})
	via, err := databroker.Dial(databroker.Options{URL: "http://" + addr, SharedSecret: d.SharedSecret()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = via.Close() })
	if _, err := via.Put(t.Context(), []*pb.Record{record(t, "pomerium.config.Route", "r1", &configpb.Route{From: "https://a.example.com"})}); err != nil {
		t.Fatalf("put through the forwarder: %v", err)
	}
	if _, err := via.RPC().Clear(t.Context(), &emptypb.Empty{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("intercepted Clear: %v, want PermissionDenied", err)
	}
	n := 0
	before, err := via.SyncLatest(t.Context(), "type.googleapis.com/pomerium.config.Route", func(*pb.Record) { n++ })
	if err != nil || n != 1 {
		t.Fatalf("sync latest through the forwarder: %d records, %v", n, err)
	}

	addrBefore := d.Addr()
	if err := d.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	info, err := d.Dial(t).ServerInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d.Addr() != addrBefore || info.GetServerVersion() == before.ServerVersion || info.GetLatestRecordVersion() != 0 {
		t.Errorf("after a restart: %s, %v; want %s, a new server version, no records", d.Addr(), info, addrBefore)
	}
}

func TestMissingBinariesFail(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	if _, err := Start(t.Context()); !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), "dbserver") {
		t.Errorf("start without the programs: %v, want ErrNoBinaries naming dbserver", err)
	}
}
