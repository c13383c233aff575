package api

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// maxNamespaceDepth bounds the walk up the namespace tree through deleted
// namespaces (historyRole).
const maxNamespaceDepth = 1000

// activityLog implements ActivityLogService. An entry belongs to the
// namespace its entity was in (for a namespace: its parent; the Global
// namespace's own entries to Global), and reading it takes viewer there.
// The history of a namespace outlives it: a deleted namespace's entries are
// visible to the viewers of the namespace it was in when it was deleted, as
// the log recorded it. Listing without namespace_id reads the log of every
// namespace, which takes viewer of Global: other callers must name a
// namespace they may view, as the console's pages do. Settings snapshots
// show secrets to admins of Global only (settingssecrets.go).
type activityLog struct{ *Server }

func (s *activityLog) ListActivityLogEntries(ctx context.Context, req *connect.Request[pb.ListActivityLogEntriesRequest]) (*connect.Response[pb.ListActivityLogEntriesResponse], error) {
	q, err := activityQuery(req.Msg)
	if err != nil {
		return nil, err
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.mayList(ctx, a, q.NamespaceID); err != nil {
		return nil, err
	}
	got, err := s.store.Activity(ctx, q)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out, err := s.entriesOut(ctx, a, got.Entries...)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.ListActivityLogEntriesResponse{Entries: out, TotalCount: int64(got.TotalCount)}), nil
}

// GetActivityLogEntry returns an entry with the ids of the entries before
// and after it for the same entity, those the caller may see (an entity
// moved between namespaces has entries in each).
func (s *activityLog) GetActivityLogEntry(ctx context.Context, req *connect.Request[pb.GetActivityLogEntryRequest]) (*connect.Response[pb.GetActivityLogEntryResponse], error) {
	id, err := entryID(req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	e, prev, next, err := s.visibleEntry(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("activity entry %d not found", id))
	}
	out, err := s.entriesOut(ctx, a, e)
	if err != nil {
		return nil, err
	}
	res := &pb.GetActivityLogEntryResponse{Entry: out[0]}
	for _, n := range []struct {
		id  int64
		dst **string
	}{{prev, &res.PreviousEntryId}, {next, &res.NextEntryId}} {
		if n.id == 0 {
			continue
		}
		if neighbour, _, _, err := s.visibleEntry(ctx, a, n.id); err != nil {
			return nil, err
		} else if neighbour != nil {
			*n.dst = new(strconv.FormatInt(n.id, 10))
		}
	}
	return connect.NewResponse(res), nil
}

// ListEntityTypes names the kinds of object the log records. They are the
// same for every caller and reveal nothing of the console's contents.
func (s *activityLog) ListEntityTypes(context.Context, *connect.Request[pb.ListEntityTypesRequest]) (*connect.Response[pb.ListEntityTypesResponse], error) {
	return connect.NewResponse(&pb.ListEntityTypesResponse{EntityTypes: entityTypes()}), nil
}

// visibleEntry reads an entry and its neighbours; the entry is nil when the
// caller may not see it.
func (s *activityLog) visibleEntry(ctx context.Context, a *access, id int64) (*store.ActivityEntry, int64, int64, error) {
	e, prev, next, err := s.store.ActivityEntry(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, s.fail(ctx, err)
	}
	role, err := s.historyRole(ctx, a, e.NamespaceID)
	if err != nil || role == rbac.None {
		return nil, 0, 0, err
	}
	return e, prev, next, nil
}

// movedIn matches a diff that changes the namespace of its entity: the
// version before may be in a namespace the caller cannot see.
var movedIn = regexp.MustCompile(`(?m)^-\s*"namespace_id":`)

// Shown returns an entry the caller in ctx may see as it may see it:
// without its diff and line counts when the entry moved its entity in from
// a namespace the caller may not see, whose version the diff would show.
func (s *activityLog) Shown(ctx context.Context, e *store.ActivityEntry) (*store.ActivityEntry, error) {
	if !movedIn.MatchString(e.Diff) {
		return e, nil // the common case costs nothing
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	return s.shown(ctx, a, e)
}

func (s *activityLog) shown(ctx context.Context, a *access, e *store.ActivityEntry) (*store.ActivityEntry, error) {
	if !movedIn.MatchString(e.Diff) {
		return e, nil
	}
	_, prev, _, err := s.store.ActivityEntry(ctx, e.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if prev == 0 {
		return e, nil
	}
	before, _, _, err := s.visibleEntry(ctx, a, prev)
	if err != nil || before != nil {
		return e, err
	}
	c := *e
	c.Diff, c.Added, c.Removed = "", 0, 0
	return &c, nil
}

// MayReadHistory reports whether the caller in ctx may list the activity log
// of a namespace and the namespaces below it, or of every namespace when
// namespaceID is empty, with the error ListActivityLogEntries would answer.
func (s *activityLog) MayReadHistory(ctx context.Context, namespaceID string) error {
	a, err := s.access(ctx)
	if err != nil {
		return err
	}
	return s.mayList(ctx, a, namespaceID)
}

// mayList is the rule of listing: a namespace's history takes viewer there,
// the whole log viewer of Global.
func (s *activityLog) mayList(ctx context.Context, a *access, namespaceID string) error {
	if namespaceID == "" {
		if !a.can(store.GlobalNamespaceID, store.RoleViewer) {
			return connect.NewError(connect.CodePermissionDenied, fmt.Errorf(
				"%s may not read the log of every namespace, which takes viewer of the Global namespace: name a namespace_id", a.p.Subject))
		}
		return nil
	}
	return s.requireHistory(ctx, a, namespaceID)
}

// requireHistory refuses a caller who may not view the history of a
// namespace: one who cannot see it is told it does not exist.
func (s *activityLog) requireHistory(ctx context.Context, a *access, namespaceID string) error {
	role, err := s.historyRole(ctx, a, namespaceID)
	if err != nil {
		return err
	}
	if role == rbac.None {
		return notFound(store.KindNamespace, namespaceID)
	}
	return nil
}

// historyRole is the caller's role over the history of a namespace: its
// role in the namespace or, for one deleted since, in the namespace it was
// in when it was deleted, as the log recorded it. Entries without a
// namespace are those of the Global namespace itself.
func (s *activityLog) historyRole(ctx context.Context, a *access, namespaceID string) (store.Role, error) {
	if namespaceID == "" {
		namespaceID = store.GlobalNamespaceID
	}
	for range maxNamespaceDepth {
		if a.snap.Exists(namespaceID) {
			break
		}
		last, err := s.store.Activity(ctx, store.ActivityQuery{EntityType: store.KindNamespace, EntityID: namespaceID, Limit: 1})
		if err != nil {
			return rbac.None, s.fail(ctx, err)
		}
		if len(last.Entries) == 0 || last.Entries[0].NamespaceID == "" {
			break // never a namespace: only administrators see it
		}
		namespaceID = last.Entries[0].NamespaceID
	}
	return a.role(namespaceID), nil
}

// entriesOut converts entries of the log. The log names the caller by its
// subject, which user_id carries (and user_id filters on); a service
// account's id goes in service_account_id too, and a subject that is an
// email in user_email. The log records no user names, sessions or
// impersonation, so those fields stay empty. db_version is the store
// version the change gave its object: what expected_version takes.
func (s *activityLog) entriesOut(ctx context.Context, a *access, entries ...*store.ActivityEntry) ([]*pb.ActivityLogEntry, error) {
	out := make([]*pb.ActivityLogEntry, len(entries))
	for i, e := range entries {
		e, err := s.shown(ctx, a, e)
		if err != nil {
			return nil, err
		}
		o := &pb.ActivityLogEntry{
			Id:            strconv.FormatInt(e.ID, 10),
			Name:          e.EntityName,
			ActivityType:  strings.ToUpper(string(e.Action)),
			CreatedAt:     timestamppb.New(e.Time),
			NamespaceId:   e.NamespaceID,
			NamespaceName: a.snap.Name(e.NamespaceID),
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
		out[i] = o
	}
	return out, nil
}
