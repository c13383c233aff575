package activity

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// diffLine is one line of a unified diff with the class that marks it.
type diffLine struct{ Class, Text string }

// diffLines splits a unified diff into lines classed add, del or hunk
// (the headers and @@ lines); context lines have no class.
func diffLines(diff string) []diffLine {
	diff = strings.TrimSuffix(diff, "\n")
	if diff == "" {
		return nil
	}
	lines := strings.Split(diff, "\n")
	out := make([]diffLine, len(lines))
	for i, l := range lines {
		class := ""
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"), strings.HasPrefix(l, "@@"):
			class = "hunk"
		case strings.HasPrefix(l, "+"):
			class = "add"
		case strings.HasPrefix(l, "-"):
			class = "del"
		}
		out[i] = diffLine{Class: class, Text: l}
	}
	return out
}

// version is one entry of an entity as the version selects offer it.
type version struct {
	ID, Label string
}

func versionsOf(entries []*pb.ActivityLogEntry) []version {
	out := make([]version, len(entries))
	for i, e := range entries {
		out[i] = version{ID: e.GetId(), Label: fmt.Sprintf("#%s, %s %s by %s", e.GetId(), strings.ToLower(e.GetActivityType()),
			ui.When(e.GetCreatedAt().AsTime()), e.GetUserId())}
	}
	return out
}

type entryData struct {
	Entry         *store.ActivityEntry
	Kind          string
	NamespacePath string
	Diff          []diffLine
	Previous      int64
	Next          int64
	// History lists every entry of the entity.
	History  string
	Versions []version
}

func (s *screen) entry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := ui.ViewerFrom(ctx)
	id := r.PathValue("id")
	visible, prev, next, err := s.visibleEntry(ctx, id)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	// The service has shown the entry may be seen; the store has its origin.
	e, _, _, err := s.d.Store.ActivityEntry(ctx, entryNumber(visible.GetId()))
	if errors.Is(err, store.ErrNotFound) {
		s.t.Fail(w, r, connect.NewError(connect.CodeNotFound, fmt.Errorf("activity entry %s not found", id)))
		return
	}
	if err != nil {
		s.t.Fail(w, r, fmt.Errorf("read activity entry %s: %w", id, err))
		return
	}
	if e, err = s.shown(ctx, e); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	all, err := s.versions(ctx, visible, v.Can(store.GlobalNamespaceID, string(store.RoleViewer)))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	var others []*pb.ActivityLogEntry
	for _, o := range all {
		if o.GetId() != visible.GetId() {
			others = append(others, o)
		}
	}
	d := &entryData{
		Entry: e, Kind: kindLabel(e.EntityType), NamespacePath: namespacePath(v, e.NamespaceID),
		Diff: diffLines(e.Diff), Previous: prev, Next: next, Versions: versionsOf(others),
		History: (&url.URL{Path: "/activity", RawQuery: url.Values{"entity_type": {string(e.EntityType)}, "entity_id": {e.EntityID}}.Encode()}).String(),
	}
	title := fmt.Sprintf("Activity #%d: %s %s", e.ID, kindLabel(e.EntityType), e.EntityName)
	s.t.Render(w, r, http.StatusOK, "entry.html", ui.Page{Title: title, Nav: ui.NavActivity, Data: d})
}

// side is one end of a comparison.
type side struct {
	ID, Action, Subject string
	Time                time.Time
}

type compareData struct {
	EntityType, EntityID, EntityName, Kind string
	From, To                               side
	Diff                                   []diffLine
	Versions                               []version
}

// compare diffs the snapshots of two entries of one entity, as the store
// diffs an entry against the one before it.
func (s *screen) compare(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := ui.ViewerFrom(ctx)
	q := r.URL.Query()
	from, _, _, err := s.visibleEntry(ctx, q.Get("from"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	to, _, _, err := s.visibleEntry(ctx, q.Get("to"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := sameEntity(from, to, q.Get("entity_type"), q.Get("entity_id")); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	all, err := s.versions(ctx, to, v.Can(store.GlobalNamespaceID, string(store.RoleViewer)))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	text, _, _ := store.Diff(from.GetEntityData(), to.GetEntityData())
	d := &compareData{
		EntityType: to.GetEntityType(), EntityID: to.GetEntityId(), EntityName: to.GetName(), Kind: kindLabel(store.Kind(to.GetEntityType())),
		From: sideOf(from), To: sideOf(to), Diff: diffLines(text), Versions: versionsOf(all),
	}
	title := fmt.Sprintf("Compare versions: %s %s", d.Kind, d.EntityName)
	s.t.Render(w, r, http.StatusOK, "compare.html", ui.Page{Title: title, Nav: ui.NavActivity, Data: d})
}

// sameEntity refuses a comparison of entries of different entities, or of
// entries that are not of the entity the request names.
func sameEntity(from, to *pb.ActivityLogEntry, entityType, entityID string) error {
	if from.GetEntityType() != to.GetEntityType() || from.GetEntityId() != to.GetEntityId() {
		return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(
			"entries %s and %s are versions of different entities (%s %s and %s %s): only versions of one entity can be compared",
			from.GetId(), to.GetId(), from.GetEntityType(), from.GetName(), to.GetEntityType(), to.GetName()))
	}
	if (entityType != "" && entityType != to.GetEntityType()) || (entityID != "" && entityID != to.GetEntityId()) {
		return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(
			"entries %s and %s are versions of %s %s, not of the entity the request names", from.GetId(), to.GetId(), to.GetEntityType(), to.GetEntityId()))
	}
	return nil
}

func sideOf(e *pb.ActivityLogEntry) side {
	return side{ID: e.GetId(), Action: strings.ToLower(e.GetActivityType()), Subject: e.GetUserId(), Time: e.GetCreatedAt().AsTime()}
}
