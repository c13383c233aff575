package convert

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/consolepb"
	"github.com/pomerium-console/pomerium-console/store"
)

// Meta returns the console's additions to an object of the API: its store
// version (field 1001) and its sync status (field 1000), which says where the
// object came from and, when st is not nil, what the reconciler last found.
// A finding about an older version of the object is passed on as it is: its
// object_version tells the client so.
//
// The *FromStore functions fill both: those of the kinds the reconciler
// writes (routes, policies, settings, key pairs) take the status to pass on.
func Meta(m store.ObjectMeta, st *store.ObjectStatus) (int64, *consolepb.SyncStatus) {
	if m.Origin == "" && m.OriginRef == "" && st == nil {
		return m.Version, nil
	}
	s := &consolepb.SyncStatus{Origin: string(m.Origin), OriginRef: m.OriginRef}
	if st != nil {
		s.State = string(st.State)
		s.ObjectVersion = st.ObjectVersion
		s.RecordVersion = st.RecordVersion
		s.Reason = st.Reason
		s.Field = st.Field
		s.UpdatedAt = Timestamp(st.UpdatedAt)
	}
	return m.Version, s
}

// Timestamp is t for the API, nil for the zero time.
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// timeOf is an API timestamp as a time, the zero time for nil.
func timeOf(field string, ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	// CheckValid's own message varies its spacing on purpose; say it plainly.
	if ts.CheckValid() != nil {
		return time.Time{}, fieldErrorf(field, "is not a valid timestamp: seconds %d, nanos %d", ts.Seconds, ts.Nanos)
	}
	return ts.AsTime(), nil
}

// optional is s for an optional API field: nil when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
