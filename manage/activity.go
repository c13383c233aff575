package manage

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

// maxNamespaceDepth bounds the walk up the namespace tree through deleted
// namespaces (historyRole).
const maxNamespaceDepth = 1000

// An entry of the activity log belongs to the namespace its entity was in
// (for a namespace: its parent; the Global namespace's own entries to
// Global), and reading it takes View there. The history of a namespace
// outlives it: a deleted namespace's entries are visible to the viewers of
// the namespace it was in when it was deleted, as the log recorded it.
// Reading the log of every namespace at once takes ReadAllActivity.

// Entry is an entry of the activity log as the caller may see it, with the
// ids of the entries before and after it for the same entity that the
// caller may see (0: none).
type Entry struct {
	*store.ActivityEntry
	Previous, Next int64
}

// Activity reads a page of the activity log. q.NamespaceID empty reads the
// log of every namespace; a Limit of 0 is the largest page.
func (a *App) Activity(ctx context.Context, c *Caller, q store.ActivityQuery) (*store.ActivityPage, error) {
	if err := checkPage(q.Offset, q.Limit); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = MaxPage
	}
	if err := a.MayReadActivity(ctx, c, q.NamespaceID); err != nil {
		return nil, err
	}
	got, err := a.store.Activity(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read the activity log: %w", err)
	}
	out := &store.ActivityPage{TotalCount: got.TotalCount, More: got.More, Entries: make([]*store.ActivityEntry, len(got.Entries))}
	for i, e := range got.Entries {
		if out.Entries[i], err = a.Shown(ctx, c, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ActivityEntry reads one entry of the log the caller may see.
func (a *App) ActivityEntry(ctx context.Context, c *Caller, id int64) (*Entry, error) {
	e, prev, next, err := a.visibleEntry(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, Refuse(CodeNotFound, "id", "activity entry %d not found", id)
	}
	out := &Entry{}
	if out.ActivityEntry, err = a.Shown(ctx, c, e); err != nil {
		return nil, err
	}
	for _, n := range []struct {
		id  int64
		dst *int64
	}{{prev, &out.Previous}, {next, &out.Next}} {
		if n.id == 0 {
			continue
		}
		neighbour, _, _, err := a.visibleEntry(ctx, c, n.id)
		if err != nil {
			return nil, err
		}
		if neighbour != nil {
			*n.dst = n.id
		}
	}
	return out, nil
}

// visibleEntry reads an entry and its neighbours; the entry is nil when the
// caller may not see it.
func (a *App) visibleEntry(ctx context.Context, c *Caller, id int64) (*store.ActivityEntry, int64, int64, error) {
	e, prev, next, err := a.store.ActivityEntry(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read activity entry %d: %w", id, err)
	}
	role, err := a.historyRole(ctx, c, e.NamespaceID)
	if err != nil || role == rbac.None {
		return nil, 0, 0, err
	}
	return e, prev, next, nil
}

// movedIn matches a diff that changes the namespace of its entity: the
// version before may be in a namespace the caller cannot see.
var movedIn = regexp.MustCompile(`(?m)^-\s*"namespace_id":`)

// Shown is an entry as the caller may see it: without its diff and line
// counts when the entry moved its entity in from a namespace the caller
// may not see, whose version the diff would show. Activity and
// ActivityEntry return entries so already.
func (a *App) Shown(ctx context.Context, c *Caller, e *store.ActivityEntry) (*store.ActivityEntry, error) {
	if !movedIn.MatchString(e.Diff) {
		return e, nil // the common case costs nothing
	}
	_, prev, _, err := a.store.ActivityEntry(ctx, e.ID)
	if err != nil {
		return nil, fmt.Errorf("read activity entry %d: %w", e.ID, err)
	}
	if prev == 0 {
		return e, nil
	}
	before, _, _, err := a.visibleEntry(ctx, c, prev)
	if err != nil || before != nil {
		return e, err
	}
	hidden := *e
	hidden.Diff, hidden.Added, hidden.Removed = "", 0, 0
	return &hidden, nil
}

// MayReadActivity refuses a caller who may not read the log of a namespace
// and those below it, or of every namespace when namespaceID is empty.
func (a *App) MayReadActivity(ctx context.Context, c *Caller, namespaceID string) error {
	if namespaceID == "" {
		if !c.May(ReadAllActivity, store.GlobalNamespaceID) {
			return Refuse(CodePermissionDenied, "", "%s may not read the log of every namespace, which takes viewer of the Global namespace: name a namespace_id", c.Subject)
		}
		return nil
	}
	if !store.ValidID(namespaceID) {
		return invalid("namespace_id", "must be the id of a namespace")
	}
	role, err := a.historyRole(ctx, c, namespaceID)
	if err != nil {
		return err
	}
	if role == rbac.None {
		return notFound("namespace_id", store.KindNamespace, namespaceID)
	}
	return nil
}

// historyRole is the caller's role over the history of a namespace: its
// role in the namespace or, for one deleted since, in the namespace it was
// in when it was deleted, as the log recorded it. Entries without a
// namespace are those of the Global namespace itself.
func (a *App) historyRole(ctx context.Context, c *Caller, namespaceID string) (store.Role, error) {
	if namespaceID == "" {
		namespaceID = store.GlobalNamespaceID
	}
	for range maxNamespaceDepth {
		if c.Exists(namespaceID) {
			break
		}
		last, err := a.store.Activity(ctx, store.ActivityQuery{EntityType: store.KindNamespace, EntityID: namespaceID, Limit: 1})
		if err != nil {
			return rbac.None, fmt.Errorf("read the history of namespace %s: %w", namespaceID, err)
		}
		if len(last.Entries) == 0 || last.Entries[0].NamespaceID == "" {
			break // never a namespace: only administrators see it
		}
		namespaceID = last.Entries[0].NamespaceID
	}
	return c.Role(namespaceID), nil
}
