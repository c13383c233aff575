package activity

import (
	"context"
	"fmt"
	"strconv"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// mayRead asks the activity log service whether the caller may read the
// log of a namespace (and those below it), or of every namespace when
// namespaceID is empty: the service owns that rule. The screen reads the
// entries themselves from the store, because it shows what the service's
// entries lack (their origin) and bounds their time on both sides, which the
// service's one date filter cannot.
func (s *screen) mayRead(ctx context.Context, namespaceID string) error {
	return s.d.Services.History.MayReadHistory(ctx, namespaceID)
}

// shown is an entry of the log as the caller may see it: without its diff
// and line counts when it moved its entity in from a namespace the caller
// cannot see, whose version the diff shows.
func (s *screen) shown(ctx context.Context, e *store.ActivityEntry) (*store.ActivityEntry, error) {
	shown, err := s.d.Services.History.Shown(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("activity entry %d: %w", e.ID, err)
	}
	return shown, nil
}

// visibleEntry reads an entry through the activity log service, which
// answers NotFound for an entry the caller may not see, with the ids of the
// entity's previous and next entries the caller may see (0: none).
func (s *screen) visibleEntry(ctx context.Context, id string) (*pb.ActivityLogEntry, int64, int64, error) {
	res, err := s.d.Services.ActivityLog.GetActivityLogEntry(ctx, connect.NewRequest(&pb.GetActivityLogEntryRequest{Id: id}))
	if err != nil {
		return nil, 0, 0, err
	}
	return res.Msg.GetEntry(), entryNumber(res.Msg.GetPreviousEntryId()), entryNumber(res.Msg.GetNextEntryId()), nil
}

// entryNumber parses an entry id the service gave; 0 for none.
func entryNumber(id string) int64 {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// versionLimit bounds the versions of one entity a page offers to compare.
const versionLimit = 200

// versions lists the newest entries of one entity the caller may see,
// through the service: all of them for a viewer of Global, otherwise those
// in the namespace of the entry at hand and below it (an entity moved
// between namespaces the caller sees only part of shows that part).
func (s *screen) versions(ctx context.Context, e *pb.ActivityLogEntry, global bool) ([]*pb.ActivityLogEntry, error) {
	req := &pb.ListActivityLogEntriesRequest{
		EntityType: new(e.GetEntityType()), EntityId: new(e.GetEntityId()), Limit: new(int64(versionLimit)),
	}
	if !global {
		ns := e.GetNamespaceId()
		if ns == "" {
			ns = store.GlobalNamespaceID
		}
		req.NamespaceId = &ns
	}
	res, err := s.d.Services.ActivityLog.ListActivityLogEntries(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetEntries(), nil
}
