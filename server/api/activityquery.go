package api

import (
	"slices"
	"strconv"
	"strings"
	"time"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// activityFilter sets one equality filter of an activity query from a
// request value. field names where the value came from, for errors.
type activityFilter func(q *store.ActivityQuery, field, value string) error

// activityFilters are the filters by name: the fields of the request that
// set them directly, and the field names string_filter may use.
var activityFilters = map[string]activityFilter{
	"activity_type": func(q *store.ActivityQuery, field, v string) error {
		a, ok := activityTypes[strings.ToUpper(v)]
		if !ok {
			return invalid(field, "%q is not one of SET, DELETE, SIGN_OUT, IMPERSONATE, APPROVE", v)
		}
		return assign(&q.Action, a, field)
	},
	// The log names the caller by its subject: an email, or
	// service_account:<id> and the like, as user_id shows it.
	"user_id": func(q *store.ActivityQuery, field, v string) error { return assign(&q.Subject, v, field) },
	"entity_type": func(q *store.ActivityQuery, field, v string) error {
		if !slices.Contains(store.EntityTypes, store.Kind(v)) {
			return invalid(field, "%q is not one of %s", v, strings.Join(entityTypes(), ", "))
		}
		return assign(&q.EntityType, store.Kind(v), field)
	},
	"entity_id": func(q *store.ActivityQuery, field, v string) error {
		if !store.ValidEntityID(v) {
			return invalid(field, "must be the id of an object (a UUID), or of a session or device (printable, at most %d bytes)", store.MaxEntityID)
		}
		return assign(&q.EntityID, v, field)
	},
}

// activityTypes are the actions of the log as the API names them.
var activityTypes = map[string]store.Action{
	"SET": store.ActionSet, "DELETE": store.ActionDelete, "SIGN_OUT": store.ActionSignOut,
	"IMPERSONATE": store.ActionImpersonate, "APPROVE": store.ActionApprove,
}

// assign sets a filter, refusing a second value that contradicts the first.
func assign[T comparable](dst *T, v T, field string) error {
	var zero T
	if *dst != zero && *dst != v {
		return invalid(field, "%v contradicts %v, given elsewhere in the request", v, *dst)
	}
	*dst = v
	return nil
}

// activityQuery translates a ListActivityLogEntries request into a query of
// the log. Every filter the request sets must hold (they are and-ed); empty
// strings do not filter. The namespace filter includes the namespaces below
// unless recurse_namespace is false: a role in a namespace is one in those
// below it too. What the store cannot answer is refused, never ignored:
// db_versions, more than one entity, sorting by anything but time, the !=
// date operator and string filters other than equality.
func activityQuery(req *pb.ListActivityLogEntriesRequest) (store.ActivityQuery, error) {
	var q store.ActivityQuery
	q.Offset, q.Limit, q.Query = int(req.GetOffset()), int(req.GetLimit()), req.GetQuery()
	if ns := req.GetNamespaceId(); ns != "" {
		q.NamespaceID, q.Recursive = ns, req.RecurseNamespace == nil || *req.RecurseNamespace
	}
	if len(req.GetDbVersions()) > 0 {
		return q, invalid("db_versions", "filtering by version is not supported: filter by entity, time or caller")
	}
	for _, f := range []struct{ name, value string }{
		{"activity_type", req.GetActivityType()}, {"user_id", req.GetUserId()},
		{"entity_type", req.GetEntityType()}, {"entity_id", req.GetEntityId()},
	} {
		if err := setFilter(&q, f.name, f.name, f.value); err != nil {
			return q, err
		}
	}
	if err := entitiesFilter(&q, req.GetEntities()); err != nil {
		return q, err
	}
	if err := sortOrder(&q, req.GetSort()); err != nil {
		return q, err
	}
	if err := dateFilter(&q, req.GetDateFilter()); err != nil {
		return q, err
	}
	return q, stringFilter(&q, req.GetStringFilter())
}

func setFilter(q *store.ActivityQuery, name, field, value string) error {
	if value == "" {
		return nil
	}
	return activityFilters[name](q, field, value)
}

func entitiesFilter(q *store.ActivityQuery, entities []*pb.ListActivityLogEntriesRequest_Entity) error {
	switch len(entities) {
	case 0:
		return nil
	case 1:
		if err := setFilter(q, "entity_type", "entities[0].type", entities[0].GetType()); err != nil {
			return err
		}
		return setFilter(q, "entity_id", "entities[0].id", entities[0].GetId())
	}
	return invalid("entities", "at most one entity is supported, %d given", len(entities))
}

// sortOrder reads the sort of the request. The log is kept in the order of
// its entries, which is their time order; it can be read either way.
func sortOrder(q *store.ActivityQuery, s *pb.ListActivityLogEntriesRequest_Sort) error {
	if s == nil {
		return nil
	}
	if c := s.GetColumn(); c != "" && c != "created_at" {
		return invalid("sort.column", "%q is not supported: entries sort by created_at only", c)
	}
	switch d := strings.ToUpper(s.GetDirection()); d {
	case "", "DESC":
	case "ASC":
		q.Ascending = true
	default:
		return invalid("sort.direction", "%q is not one of ASC, DESC", s.GetDirection())
	}
	return nil
}

// dateFilter bounds the entries' time. The log keeps times to the
// microsecond; the date is cut to it.
func dateFilter(q *store.ActivityQuery, f *pb.ListActivityLogEntriesRequest_DateFilter) error {
	if f == nil {
		return nil
	}
	if f.GetDate() == nil {
		return invalid("date_filter.date", "is required")
	}
	if err := f.GetDate().CheckValid(); err != nil {
		return invalid("date_filter.date", "is not a valid timestamp")
	}
	d := f.GetDate().AsTime().Truncate(time.Microsecond)
	next := d.Add(time.Microsecond)
	switch f.GetOperator() {
	case "<":
		q.Until = d
	case "<=":
		q.Until = next
	case ">":
		q.Since = next
	case ">=":
		q.Since = d
	case "=":
		q.Since, q.Until = d, next
	default:
		return invalid("date_filter.operator", "%q is not one of <, <=, >, >=, =", f.GetOperator())
	}
	return nil
}

// stringFilter applies a string filter: equality on one of the fields the
// store can filter on.
func stringFilter(q *store.ActivityQuery, f *pb.ListActivityLogEntriesRequest_StringFilter) error {
	if f == nil {
		return nil
	}
	if f.GetOperator() != "equals" {
		return invalid("string_filter.operator", "%q is not supported: only equals", f.GetOperator())
	}
	if _, ok := activityFilters[f.GetFieldName()]; !ok {
		return invalid("string_filter.fieldName", "%q is not one of activity_type, entity_id, entity_type, user_id", f.GetFieldName())
	}
	return setFilter(q, f.GetFieldName(), "string_filter.value", f.GetValue())
}

// entityTypes are the kinds of object the log records.
func entityTypes() []string {
	out := make([]string, len(store.EntityTypes))
	for i, k := range store.EntityTypes {
		out[i] = string(k)
	}
	return out
}

// entryID parses the id of an activity log entry.
func entryID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, invalid("id", "must be the id of an activity log entry, a positive integer")
	}
	return n, nil
}
