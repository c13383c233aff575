package activity

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
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
	ID    int64
	Label string
}

func versionsOf(entries []*store.ActivityEntry) []version {
	out := make([]version, len(entries))
	for i, e := range entries {
		out[i] = version{ID: e.ID, Label: fmt.Sprintf("#%d, %s %s by %s", e.ID, e.Action, ui.When(e.Time), e.Subject)}
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
	shown, err := s.entryOf(ctx, "id", r.PathValue("id"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	e := shown.ActivityEntry
	all, err := s.versions(ctx, e)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	var others []*store.ActivityEntry
	for _, o := range all {
		if o.ID != e.ID {
			others = append(others, o)
		}
	}
	d := &entryData{
		Entry: e, Kind: kindLabel(e.EntityType), NamespacePath: namespacePath(v, e.NamespaceID),
		Diff: diffLines(e.Diff), Previous: shown.Previous, Next: shown.Next, Versions: versionsOf(others),
		History: (&url.URL{Path: "/activity", RawQuery: url.Values{"entity_type": {string(e.EntityType)}, "entity_id": {e.EntityID}}.Encode()}).String(),
	}
	title := fmt.Sprintf("Activity #%d: %s %s", e.ID, kindLabel(e.EntityType), e.EntityName)
	s.t.Render(w, r, http.StatusOK, "entry.html", ui.Page{Title: title, Nav: ui.NavActivity, Data: d})
}

// side is one end of a comparison.
type side struct {
	ID              int64
	Action, Subject string
	Time            time.Time
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
	q := r.URL.Query()
	from, err := s.entryOf(ctx, "from", q.Get("from"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	to, err := s.entryOf(ctx, "to", q.Get("to"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := sameEntity(from.ActivityEntry, to.ActivityEntry, q.Get("entity_type"), q.Get("entity_id")); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	all, err := s.versions(ctx, to.ActivityEntry)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	text, _, _ := store.Diff(from.Snapshot, to.Snapshot)
	d := &compareData{
		EntityType: string(to.EntityType), EntityID: to.EntityID, EntityName: to.EntityName, Kind: kindLabel(to.EntityType),
		From: sideOf(from.ActivityEntry), To: sideOf(to.ActivityEntry), Diff: diffLines(text), Versions: versionsOf(all),
	}
	title := fmt.Sprintf("Compare versions: %s %s", d.Kind, d.EntityName)
	s.t.Render(w, r, http.StatusOK, "compare.html", ui.Page{Title: title, Nav: ui.NavActivity, Data: d})
}

// sameEntity refuses a comparison of entries of different entities, or of
// entries that are not of the entity the request names.
func sameEntity(from, to *store.ActivityEntry, entityType, entityID string) error {
	if from.EntityType != to.EntityType || from.EntityID != to.EntityID {
		return manage.Refuse(manage.CodeInvalid, "",
			"entries %d and %d are versions of different entities (%s %s and %s %s): only versions of one entity can be compared",
			from.ID, to.ID, from.EntityType, from.EntityName, to.EntityType, to.EntityName)
	}
	if (entityType != "" && entityType != string(to.EntityType)) || (entityID != "" && entityID != to.EntityID) {
		return manage.Refuse(manage.CodeInvalid, "",
			"entries %d and %d are versions of %s %s, not of the entity the request names", from.ID, to.ID, to.EntityType, to.EntityID)
	}
	return nil
}

func sideOf(e *store.ActivityEntry) side {
	return side{ID: e.ID, Action: string(e.Action), Subject: e.Subject, Time: e.Time}
}
