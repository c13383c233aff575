package api

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// The filters of ConfigService's lists are google.protobuf.Struct values
// read as Pomerium reads them: each key of a struct is a field that must
// equal its value, all keys must hold; a list value is any of its values;
// a struct value names a field inside the field; "$and" and "$or" take a
// list of filters, "$not" one, "$eq" compares the field of the enclosing
// key. Field names are those of the listed message. Beside them, a
// top-level "query" is the console's search (a case-insensitive substring
// of the name, and of a route's from and to), and top-level equalities on
// namespace_id, name and cluster_id narrow the store's own query.

// filterExpr is a parsed filter.
type filterExpr interface {
	// match reports whether the message m satisfies the filter.
	match(m protoreflect.Message) bool
}

type andExpr []filterExpr

func (e andExpr) match(m protoreflect.Message) bool {
	for _, x := range e {
		if !x.match(m) {
			return false
		}
	}
	return true
}

type orExpr []filterExpr

func (e orExpr) match(m protoreflect.Message) bool {
	for _, x := range e {
		if x.match(m) {
			return true
		}
	}
	return false
}

type notExpr struct{ x filterExpr }

func (e notExpr) match(m protoreflect.Message) bool { return !e.x.match(m) }

// eqExpr holds when the field at path equals want, or for a repeated
// field, when one of its elements does.
type eqExpr struct {
	path []protoreflect.FieldDescriptor
	want string
}

func (e eqExpr) match(m protoreflect.Message) bool {
	for _, got := range fieldValues(m, e.path) {
		if got == e.want {
			return true
		}
	}
	return false
}

// fieldValues reads the values of the field at path in m as strings.
func fieldValues(m protoreflect.Message, path []protoreflect.FieldDescriptor) []string {
	fd := path[0]
	if len(path) > 1 {
		if !m.Has(fd) {
			return nil
		}
		return fieldValues(m.Get(fd).Message(), path[1:])
	}
	v := m.Get(fd)
	if fd.IsList() {
		out := make([]string, v.List().Len())
		for i := range out {
			out[i] = scalarString(fd, v.List().Get(i))
		}
		return out
	}
	return []string{scalarString(fd, v)}
}

// scalarString writes a value as a filter names it: an enum by its name,
// anything else as protojson would.
func scalarString(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.BytesKind:
		return string(v.Bytes())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return ""
	}
	return v.String()
}

// listFilter is a filter split into what the store's query expresses and
// the rest, matched on each object.
type listFilter struct {
	namespace, name, query, cluster string
	rest                            filterExpr
}

// parseListFilter reads the filter of a list of messages of type md. A
// refusal names the key at fault ("filter.$or[1].name").
func parseListFilter(f *structpb.Struct, md protoreflect.MessageDescriptor) (listFilter, error) {
	var lf listFilter
	if f == nil {
		return lf, nil
	}
	var rest andExpr
	for _, key := range sortedKeys(f) {
		v := f.GetFields()[key]
		field := "filter." + key
		if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
			switch key {
			case "query":
				lf.query = s.StringValue
				continue
			case "cluster_id":
				lf.cluster = s.StringValue
				continue
			case "namespace_id":
				lf.namespace = s.StringValue
				continue
			case "name":
				lf.name = s.StringValue
				continue
			}
		}
		if key == "query" || key == "cluster_id" {
			return lf, invalid(field, "must be a string")
		}
		x, err := parseKey(field, key, v, md, nil)
		if err != nil {
			return lf, err
		}
		rest = append(rest, x)
	}
	if len(rest) > 0 {
		lf.rest = rest
	}
	return lf, nil
}

// parseStruct reads a struct of a filter: all of its keys must hold.
// field names the struct in the request, path the message fields above it.
func parseStruct(field string, s *structpb.Struct, md protoreflect.MessageDescriptor, path []protoreflect.FieldDescriptor) (filterExpr, error) {
	var and andExpr
	for _, key := range sortedKeys(s) {
		x, err := parseKey(field+"."+key, key, s.GetFields()[key], md, path)
		if err != nil {
			return nil, err
		}
		and = append(and, x)
	}
	return and, nil
}

// parseKey reads one key of a struct of a filter and its value.
func parseKey(field, key string, v *structpb.Value, md protoreflect.MessageDescriptor, path []protoreflect.FieldDescriptor) (filterExpr, error) {
	switch key {
	case "$and", "$or":
		list := v.GetListValue()
		if list == nil {
			return nil, invalid(field, "must be a list of filters")
		}
		var xs []filterExpr
		for i, item := range list.GetValues() {
			x, err := parseValue(indexed(field, i), item, md, path)
			if err != nil {
				return nil, err
			}
			xs = append(xs, x)
		}
		if key == "$and" {
			return andExpr(xs), nil
		}
		return orExpr(xs), nil
	case "$not":
		x, err := parseValue(field, v, md, path)
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case "$eq":
		if len(path) == 0 {
			return nil, invalid(field, "must be inside a field")
		}
		return parseValue(field, v, nil, path)
	}
	if strings.HasPrefix(key, "$") {
		return nil, invalid(field, "%s is not an operator filters support: use $and, $or, $not or $eq", key)
	}
	if md == nil {
		return nil, invalid(field, "%s is not a field: the field above it is not a message", key)
	}
	fd := md.Fields().ByName(protoreflect.Name(key))
	if fd == nil {
		return nil, invalid(field, "%s is not a field of %s", key, md.FullName())
	}
	if fd.IsMap() {
		return nil, invalid(field, "%s is a map, which filters cannot compare", key)
	}
	return parseValue(field, v, fd.Message(), append(append([]protoreflect.FieldDescriptor(nil), path...), fd))
}

// parseValue reads the value of a key: a filter on the field at path.
func parseValue(field string, v *structpb.Value, md protoreflect.MessageDescriptor, path []protoreflect.FieldDescriptor) (filterExpr, error) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StructValue:
		return parseStruct(field, k.StructValue, md, path)
	case *structpb.Value_ListValue:
		var or orExpr
		for i, item := range k.ListValue.GetValues() {
			x, err := parseValue(indexed(field, i), item, md, path)
			if err != nil {
				return nil, err
			}
			or = append(or, x)
		}
		return or, nil
	}
	if len(path) == 0 {
		return nil, invalid(field, "must name a field to compare the value with")
	}
	if last := path[len(path)-1]; last.Kind() == protoreflect.MessageKind {
		return nil, invalid(field, "%s is a message: compare a field inside it", last.Name())
	}
	want, err := filterString(v)
	if err != nil {
		return nil, invalid(field, "%v", err)
	}
	return eqExpr{path: path, want: want}, nil
}

// filterString writes a scalar of a filter as fieldValues writes values.
func filterString(v *structpb.Value) (string, error) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue, nil
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue), nil
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), nil
	case *structpb.Value_NullValue:
		return "", nil
	}
	return "", fmt.Errorf("must be a string, number, boolean, list or struct")
}

func sortedKeys(s *structpb.Struct) []string {
	keys := make([]string, 0, len(s.GetFields()))
	for k := range s.GetFields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// configListRequest is what the list calls of ConfigService have in common.
type configListRequest interface {
	GetOffset() uint64
	GetLimit() uint64
	GetFilter() *structpb.Struct
	GetOrderBy() string
}

// configListQuery turns a ConfigService list request into the query of the
// use cases. toMessage converts a listed object into the message the
// filter names fields of, for the part of the filter the store cannot
// apply. sc holds the Namespace-Id and Cluster-Id headers', used when the
// filter names none. A list of every namespace that names no cluster lists
// the default cluster's.
func configListQuery(req configListRequest, md protoreflect.MessageDescriptor, sc scope, toMessage func(store.Object) protoreflect.Message) (manage.ListQuery, error) {
	var q manage.ListQuery
	lf, err := parseListFilter(req.GetFilter(), md)
	if err != nil {
		return q, err
	}
	const maxInt = int(^uint(0) >> 1)
	if req.GetOffset() > uint64(maxInt) {
		return q, invalid("offset", "is too large")
	}
	if req.GetLimit() > uint64(manage.MaxPage) {
		return q, invalid("limit", "must be at most %d", manage.MaxPage)
	}
	q = manage.ListQuery{
		Namespace: lf.namespace, Name: lf.name, Query: lf.query, OrderBy: req.GetOrderBy(),
		Offset: int(req.GetOffset()), Limit: int(req.GetLimit()),
	}
	q.Namespace, q.Cluster = cmp.Or(q.Namespace, sc.namespace), cmp.Or(lf.cluster, sc.cluster)
	if lf.cluster != "" && sc.cluster != "" && lf.cluster != sc.cluster {
		return q, invalid("filter.cluster_id", "names cluster %s, but the Cluster-Id header cluster %s", lf.cluster, sc.cluster)
	}
	q.Everywhere = q.Namespace == ""
	if q.Everywhere && q.Cluster == "" {
		q.Cluster = store.DefaultClusterID
	}
	if rest := lf.rest; rest != nil {
		q.Match = func(o store.Object) bool { return rest.match(toMessage(o)) }
	}
	return q, nil
}
