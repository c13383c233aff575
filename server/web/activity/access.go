package activity

import (
	"context"
	"strconv"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// mayReadAll reports whether the viewer may read the log of every
// namespace at once, as the use cases' table says.
func mayReadAll(v *ui.Viewer) bool {
	return v.May(string(manage.ReadAllActivity), store.GlobalNamespaceID)
}

// entryNumber reads the id of an entry from input field.
func entryNumber(field, id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, manage.Refuse(manage.CodeInvalid, field, "must be the id of an activity log entry, a positive integer")
	}
	return n, nil
}

// entryOf reads the entry of input field as the viewer may see it; the use
// cases answer NotFound for an entry the viewer may not see.
func (s *screen) entryOf(ctx context.Context, field, id string) (*manage.Entry, error) {
	n, err := entryNumber(field, id)
	if err != nil {
		return nil, err
	}
	return s.d.App.ActivityEntry(ctx, ui.ViewerFrom(ctx).Caller(), n)
}

// versionLimit bounds the versions of one entity a page offers to compare.
const versionLimit = 200

// versions lists the newest entries of one entity the viewer may see: all
// of them for a viewer who may read the whole log, otherwise those in the
// namespace of the entry at hand and below it (an entity moved between
// namespaces the viewer sees only part of shows that part).
func (s *screen) versions(ctx context.Context, e *store.ActivityEntry) ([]*store.ActivityEntry, error) {
	v := ui.ViewerFrom(ctx)
	q := store.ActivityQuery{EntityType: e.EntityType, EntityID: e.EntityID, Limit: versionLimit}
	if !mayReadAll(v) {
		q.NamespaceID, q.Recursive = e.NamespaceID, true
		if q.NamespaceID == "" {
			q.NamespaceID = store.GlobalNamespaceID
		}
	}
	page, err := s.d.App.Activity(ctx, v.Caller(), q)
	if err != nil {
		return nil, err
	}
	return page.Entries, nil
}
