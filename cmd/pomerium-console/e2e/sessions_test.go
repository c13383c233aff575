package e2e

import (
	"fmt"
	"testing"
	"time"

	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/sessionpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/wait"
)

const sessionType = "type.googleapis.com/session.Session"

// TestSessionsOfEachCluster runs serve with its default cluster on
// Pomerium's databroker and a cluster on a second one: the sessions each
// Pomerium keeps are listed and signed out through the API in their own
// cluster only.
func TestSessionsOfEachCluster(t *testing.T) {
	t.Parallel()
	c, second, eu := twoClusters(t)
	ctx := t.Context()
	conn := c.grpcConn(c.adminToken())
	home, away := pomerium.Dial(t), second.Dial(t)
	putSession(t, home, "s-home", "u-home")
	putSession(t, away, "s-away", "u-away")
	sessions := pb.NewPomeriumSessionServiceClient(conn)
	list := func(cluster *string) ([]string, error) {
		res, err := sessions.ListPomeriumSessions(ctx, &pb.ListPomeriumSessionsRequest{ClusterId: cluster})
		var ids []string
		for _, s := range res.GetSessions() {
			ids = append(ids, s.GetId())
		}
		return ids, err
	}
	if ids, err := list(nil); err != nil || len(ids) != 1 || ids[0] != "s-home" {
		t.Fatalf("the default cluster's sessions: %v, %v", ids, err)
	}
	// The fleet connects to a cluster once it sees it added.
	wait.Until(t, "eu's sessions listed", 30*time.Second, func() (bool, string) {
		ids, err := list(&eu)
		return err == nil && len(ids) == 1 && ids[0] == "s-away", fmt.Sprint(ids, err)
	})
	if _, err := sessions.DeletePomeriumSession(ctx, &pb.DeletePomeriumSessionRequest{Id: "s-away", ClusterId: &eu}); err != nil {
		t.Fatal(err)
	}
	if _, err := away.RPC().Get(ctx, &dbpb.GetRequest{Type: sessionType, Id: "s-away"}); status.Code(err) != codes.NotFound {
		t.Fatalf("the signed-out session in eu's databroker: %v", err)
	}
	if _, err := home.RPC().Get(ctx, &dbpb.GetRequest{Type: sessionType, Id: "s-home"}); err != nil {
		t.Fatalf("the default cluster's session after eu's sign-out: %v", err)
	}
	_, err := sessions.DeletePomeriumSession(ctx, &pb.DeletePomeriumSessionRequest{Id: "s-home", ClusterId: &eu})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("signing out the default cluster's session in eu: %v", err)
	}
}

// putSession writes a session as Pomerium's authenticate does.
func putSession(t *testing.T, d *databroker.Client, id, user string) {
	t.Helper()
	data, err := anypb.New(&sessionpb.Session{Id: id, UserId: user, IssuedAt: timestamppb.Now(), ExpiresAt: timestamppb.New(time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(t.Context(), []*dbpb.Record{{Type: sessionType, Id: id, Data: data}}); err != nil {
		t.Fatal(err)
	}
}
