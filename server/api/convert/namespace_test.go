package convert

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/consolepb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

var created = time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)

func TestNamespace(t *testing.T) {
	t.Parallel()
	ns := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "parent", Name: "team",
		CreatedAt: created, ModifiedAt: created, Version: 3, Origin: store.OriginKubernetes, OriginRef: "Namespace team"}}
	out := NamespaceFromStore(ns, store.DefaultClusterID, 5, 2)
	want := &pb.Namespace{Id: "id", ParentId: "parent", Name: "team", CreatedAt: timestamppb.New(created),
		ModifiedAt: timestamppb.New(created), RouteCount: 5, PolicyCount: 2, Version: 3,
		SyncStatus: &consolepb.SyncStatus{Origin: "kubernetes", OriginRef: "Namespace team"}}
	if diff := cmp.Diff(want, out, protocmp.Transform()); diff != "" {
		t.Errorf("from store (-want +got):\n%s", diff)
	}
	back, err := NamespaceToStore(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&store.Namespace{ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "parent", Name: "team"}}, back); diff != "" {
		t.Errorf("to store (-want +got):\n%s", diff)
	}
	// The namespace of a cluster, or one below it, names the cluster.
	if got := NamespaceFromStore(ns, "c", 0, 0).GetClusterId(); got != "c" {
		t.Errorf("cluster_id of a namespace of cluster c = %q", got)
	}
}

func TestNamespacePermission(t *testing.T) {
	t.Parallel()
	p := &store.NamespacePermission{ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "ns", CreatedAt: created, ModifiedAt: created},
		SubjectType: store.SubjectGroup, SubjectID: "admins", Role: store.RoleManager}
	out := NamespacePermissionFromStore(p)
	want := &pb.NamespacePermission{Id: "id", NamespaceId: "ns", CreatedAt: timestamppb.New(created),
		ModifiedAt: timestamppb.New(created), SubjectType: "group", SubjectId: "admins", Role: "manager"}
	if diff := cmp.Diff(want, out, protocmp.Transform()); diff != "" {
		t.Errorf("from store (-want +got):\n%s", diff)
	}
	back, err := NamespacePermissionToStore(out)
	if err != nil {
		t.Fatal(err)
	}
	p.CreatedAt, p.ModifiedAt = time.Time{}, time.Time{}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("to store (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		in   *pb.NamespacePermission
		want string
	}{
		{&pb.NamespacePermission{SubjectType: "robot", Role: "admin"}, `namespace_permission.subject_type: "robot" is not one of user, group`},
		{&pb.NamespacePermission{SubjectType: "user", Role: "owner"}, `namespace_permission.role: "owner" is not one of viewer, manager, admin`},
	} {
		_, err := NamespacePermissionToStore(tc.in)
		var fe *FieldError
		if !errors.As(err, &fe) || err.Error() != tc.want {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

func TestServiceAccount(t *testing.T) {
	t.Parallel()
	expires, accessed := created.Add(24*time.Hour), created.Add(time.Hour)
	sa := &store.ServiceAccount{ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "ns", CreatedAt: created, Version: 9},
		Description: "ci", ExpiresAt: expires}
	out := ServiceAccountFromStore(sa, accessed)
	want := &pb.PomeriumServiceAccount{Id: "id", NamespaceId: new("ns"), Description: new("ci"), UserId: "id",
		AccessedAt: timestamppb.New(accessed), ExpiresAt: timestamppb.New(expires), IssuedAt: timestamppb.New(created), Version: 9}
	if diff := cmp.Diff(want, out, protocmp.Transform()); diff != "" {
		t.Errorf("from store (-want +got):\n%s", diff)
	}
	if got := ServiceAccountFromStore(&store.ServiceAccount{}, time.Time{}); got.AccessedAt != nil || got.ExpiresAt != nil {
		t.Errorf("zero times: got %v", got)
	}
	back, err := ServiceAccountToStore(out)
	if err != nil {
		t.Fatal(err)
	}
	wantBack := &store.ServiceAccount{ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "ns"}, UserID: "id", Description: "ci", ExpiresAt: expires, Explicit: []string{}}
	if diff := cmp.Diff(wantBack, back); diff != "" {
		t.Errorf("to store (-want +got):\n%s", diff)
	}
	sa.UserID = "bot@ns.pomerium"
	if got := ServiceAccountFromStore(sa, accessed).UserId; got != sa.UserID {
		t.Errorf("user_id of an account that chose it: %q, want %q", got, sa.UserID)
	}
	if in, err := ServiceAccountToStore(&pb.PomeriumServiceAccount{UserId: "bot"}); err != nil || in.UserID != "bot" {
		t.Errorf("user_id: got %+v, %v", in, err)
	}
}
