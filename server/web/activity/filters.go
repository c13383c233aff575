package activity

import (
	"net/url"
	"slices"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// timeLayouts are what a datetime-local input sends, with and without
// seconds.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// entityType is a kind of object as people name it.
type entityType struct {
	Kind  store.Kind
	Label string
}

// entityTypes are the kinds of object the log records, as the filter
// offers them.
var entityTypes = []entityType{
	{store.KindRoute, "Route"},
	{store.KindPolicy, "Policy"},
	{store.KindNamespace, "Namespace"},
	{store.KindCluster, "Cluster"},
	{store.KindDataSource, "Data source"},
	{store.KindKeyPair, "Key pair"},
	{store.KindServiceAccount, "Service account"},
	{store.KindNamespacePermission, "Permission"},
	{store.KindSettings, "Settings"},
	{store.EntitySession, "Session"},
	{store.EntityDevice, "Device"},
	{store.EntityDeviceType, "Device type"},
}

// kindLabel names a kind for people.
func kindLabel(k store.Kind) string {
	for _, t := range entityTypes {
		if t.Kind == k {
			return t.Label
		}
	}
	return string(k)
}

// filters are the filters of the log as the URL carries them, with what
// was wrong with them.
type filters struct {
	Namespace  string
	Below      bool
	EntityType string
	EntityID   string
	Subject    string
	Action     string
	// Since and Until are as typed: datetime-local values read as UTC.
	Since, Until string
	Q            string
	// Defaulted: the URL named no namespace and the viewer may not read the
	// whole log, so the first namespace the viewer sees was chosen.
	Defaulted    bool
	since, until time.Time
	Errors       map[string]string
}

// readFilters reads the filters of the log from a URL query. A viewer who
// may not read the whole log (which takes viewer of Global) gets the first
// namespace it sees, with those below.
func readFilters(q url.Values, v *ui.Viewer) *filters {
	f := &filters{
		Namespace: q.Get("namespace"), Below: q.Get("below") != "", EntityType: q.Get("entity_type"),
		EntityID: q.Get("entity_id"), Subject: q.Get("subject"), Action: q.Get("action"),
		Since: q.Get("since"), Until: q.Get("until"), Q: q.Get("q"), Errors: map[string]string{},
	}
	if f.Namespace != "" && !store.ValidID(f.Namespace) {
		f.Errors["namespace"] = "not the id of a namespace"
	}
	if f.Namespace == "" && !mayReadAll(v) {
		if ns := v.Namespaces(); len(ns) > 0 {
			f.Namespace, f.Below, f.Defaulted = ns[0].ID, true, true
		}
	}
	if f.EntityType != "" && !slices.Contains(store.EntityTypes, store.Kind(f.EntityType)) {
		f.Errors["entity_type"] = "not a kind of object the log records"
	}
	if f.EntityID != "" && !store.ValidEntityID(f.EntityID) {
		f.Errors["entity_id"] = "must be the id of an object (a UUID), or of a session or device"
	}
	if f.Action != "" && !slices.Contains(store.Actions, store.Action(f.Action)) {
		f.Errors["action"] = "must be one of the actions offered"
	}
	f.since = f.readTime("since", f.Since)
	f.until = f.readTime("until", f.Until)
	if !f.since.IsZero() && !f.until.IsZero() && !f.until.After(f.since) {
		f.Errors["until"] = "must be after the start"
	}
	return f
}

func (f *filters) readTime(field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t
		}
	}
	f.Errors[field] = "must be a date and time like 2025-01-31T13:45 (UTC)"
	return time.Time{}
}

// query is the store query of the filters.
func (f *filters) query() store.ActivityQuery {
	return store.ActivityQuery{
		NamespaceID: f.Namespace, Recursive: f.Below && f.Namespace != "",
		EntityType: store.Kind(f.EntityType), EntityID: f.EntityID, Subject: f.Subject,
		Action: store.Action(f.Action), Since: f.since, Until: f.until, Query: f.Q,
	}
}

// values are the filters as a URL query, for links that keep them.
func (f *filters) values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Defaulted {
		set("namespace", f.Namespace)
		if f.Below {
			q.Set("below", "1")
		}
	}
	set("entity_type", f.EntityType)
	set("entity_id", f.EntityID)
	set("subject", f.Subject)
	set("action", f.Action)
	set("since", f.Since)
	set("until", f.Until)
	set("q", f.Q)
	return q
}

// err is the first of the filters' errors, by field name, as a refusal;
// nil when the filters are valid.
func (f *filters) err() error {
	fields := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		fields = append(fields, k)
	}
	if len(fields) == 0 {
		return nil
	}
	slices.Sort(fields)
	return manage.Refuse(manage.CodeInvalid, fields[0], "%s", f.Errors[fields[0]])
}
