package convert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/consolepb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestMeta(t *testing.T) {
	t.Parallel()
	updated := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	m := store.ObjectMeta{Version: 11, Origin: store.OriginKubernetes, OriginRef: "Route default/app"}
	st := &store.ObjectStatus{Kind: store.KindRoute, ID: "id", State: store.SyncError, ObjectVersion: 10,
		RecordVersion: 99, Reason: "bad", Field: "spec.from", UpdatedAt: updated}
	for _, tc := range []struct {
		name string
		meta store.ObjectMeta
		st   *store.ObjectStatus
		want *consolepb.SyncStatus
	}{
		{"with a finding", m, st, &consolepb.SyncStatus{State: "error", ObjectVersion: 10, RecordVersion: 99,
			Reason: "bad", Field: "spec.from", UpdatedAt: timestamppb.New(updated),
			Origin: "kubernetes", OriginRef: "Route default/app"}},
		{"origin only", m, nil, &consolepb.SyncStatus{Origin: "kubernetes", OriginRef: "Route default/app"}},
		{"nothing to say", store.ObjectMeta{Version: 11}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			version, got := Meta(tc.meta, tc.st)
			if version != 11 {
				t.Errorf("version %d, want 11", version)
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
