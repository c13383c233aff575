package api

import (
	"context"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// activityLog implements ActivityLogService over the use cases of the
// activity log, which say who may read which entries.
type activityLog struct{ *Server }

func (s *activityLog) ListActivityLogEntries(ctx context.Context, req *connect.Request[pb.ListActivityLogEntriesRequest]) (*connect.Response[pb.ListActivityLogEntriesResponse], error) {
	q, err := activityQuery(req.Msg)
	if err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	got, err := s.app.Activity(ctx, c, q)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListActivityLogEntriesResponse{TotalCount: int64(got.TotalCount)}
	for _, e := range got.Entries {
		out.Entries = append(out.Entries, entryOut(c, e))
	}
	return connect.NewResponse(out), nil
}

// GetActivityLogEntry returns an entry with the ids of the entries before
// and after it for the same entity, those the caller may see (an entity
// moved between namespaces has entries in each).
func (s *activityLog) GetActivityLogEntry(ctx context.Context, req *connect.Request[pb.GetActivityLogEntryRequest]) (*connect.Response[pb.GetActivityLogEntryResponse], error) {
	id, err := entryID(req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.app.ActivityEntry(ctx, c, id)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	res := &pb.GetActivityLogEntryResponse{Entry: entryOut(c, e.ActivityEntry)}
	if e.Previous != 0 {
		res.PreviousEntryId = new(strconv.FormatInt(e.Previous, 10))
	}
	if e.Next != 0 {
		res.NextEntryId = new(strconv.FormatInt(e.Next, 10))
	}
	return connect.NewResponse(res), nil
}

// ListEntityTypes names the kinds of object the log records. They are the
// same for every caller and reveal nothing of the console's contents.
func (s *activityLog) ListEntityTypes(context.Context, *connect.Request[pb.ListEntityTypesRequest]) (*connect.Response[pb.ListEntityTypesResponse], error) {
	return connect.NewResponse(&pb.ListEntityTypesResponse{EntityTypes: entityTypes()}), nil
}

// entryOut converts an entry of the log. The log names the caller by its
// subject, which user_id carries (and user_id filters on); a service
// account's id goes in service_account_id too, and a subject that is an
// email in user_email. The log records no user names, sessions or
// impersonation, so those fields stay empty. db_version is the store
// version the change gave its object: what expected_version takes.
func entryOut(c *manage.Caller, e *store.ActivityEntry) *pb.ActivityLogEntry {
	o := &pb.ActivityLogEntry{
		Id:            strconv.FormatInt(e.ID, 10),
		Name:          e.EntityName,
		ActivityType:  strings.ToUpper(string(e.Action)),
		CreatedAt:     timestamppb.New(e.Time),
		NamespaceId:   e.NamespaceID,
		NamespaceName: c.NamespaceName(e.NamespaceID),
		UserId:        e.Subject,
		EntityType:    string(e.EntityType),
		EntityId:      e.EntityID,
		EntityData:    e.Snapshot,
		DiffSummary:   &pb.ActivityLogEntry_DiffSummary{Added: int64(e.Added), Removed: int64(e.Removed)},
		Diff:          e.Diff,
		DbVersion:     uint64(e.Version),
	}
	if id, ok := strings.CutPrefix(e.Subject, "service_account:"); ok {
		o.ServiceAccountId = id
	} else if strings.Contains(e.Subject, "@") {
		o.UserEmail = e.Subject
	}
	return o
}
