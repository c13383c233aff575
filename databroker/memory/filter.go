package memory

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

// Pomerium's storage errors for what its filters cannot do. It returns them
// wrapped, with what was refused after a colon; gRPC then answers with the
// wrapped status's code and the whole wrapped text as the message.
var (
	errLogicalOperatorNotSupported = status.Error(codes.Unimplemented, "logical operator not supported")
	errOperatorNotSupported        = status.Error(codes.Unimplemented, "operator not supported")
)

// filterExpr is a parsed Query filter, in the grammar of Pomerium's
// storage.FilterExpressionFromStruct. nil matches everything.
type filterExpr interface {
	// list returns the matching records of the scope in type and id order.
	list(sc scope) ([]*pb.Record, error)
}

// scope is what a filter is evaluated against: the live records of one
// type, or of every type when recordType is empty.
type scope struct {
	s          *Server
	recordType string
}

// all returns the records of the scope in type and id order.
func (sc scope) all() []*pb.Record {
	if sc.recordType != "" {
		if c, ok := sc.s.types[sc.recordType]; ok {
			return c.all()
		}
		return nil
	}
	var out []*pb.Record
	for _, t := range sc.s.sortedTypesLocked() {
		out = append(out, sc.s.types[t].all()...)
	}
	return out
}

// byID returns the record with id of the type, or of every type in type
// order.
func (sc scope) byID(id string) []*pb.Record {
	types := []string{sc.recordType}
	if sc.recordType == "" {
		types = sc.s.sortedTypesLocked()
	}
	var out []*pb.Record
	for _, t := range types {
		if c, ok := sc.s.types[t]; ok {
			if r, ok := c.get(id); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// byField returns the records whose indexed field at path holds value.
// Pomerium looks fields up in indexes kept per type for the type's
// indexable_fields: a field not indexed, or any field when no type is
// given, finds nothing.
func (sc scope) byField(path, value string) []*pb.Record {
	if sc.recordType == "" || !slices.Contains(sc.s.options[sc.recordType].GetIndexableFields(), path) {
		return nil
	}
	var out []*pb.Record
	for _, r := range sc.all() {
		if v, ok := indexedValue(r.GetData(), path); ok && v == value {
			out = append(out, r)
		}
	}
	return out
}

type (
	andExpr    []filterExpr
	orExpr     []filterExpr
	notExpr    struct{ expr filterExpr }
	simpleExpr struct {
		path     string
		operator string
		value    *structpb.Value
	}
	allExpr struct{}
)

const opEquals = "equals"

// parseFilter turns a Query filter into an expression: keys are visited in
// sorted order and AND-ed, a list is an OR of its elements, "$and", "$or"
// and "$not" combine, a "$op" key applies an operator to the enclosing
// path, and any other key descends into the path.
func parseFilter(s *structpb.Struct) (filterExpr, error) {
	if s == nil {
		return allExpr{}, nil
	}
	return parseStruct(nil, s)
}

func parseStruct(path []string, s *structpb.Struct) (filterExpr, error) {
	keys := make([]string, 0, len(s.GetFields()))
	for k := range s.GetFields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var and andExpr
	for _, k := range keys {
		v := s.GetFields()[k]
		switch k {
		case "$and", "$or":
			e, err := parseValue(path, v)
			if err != nil {
				return nil, err
			}
			or, ok := e.(orExpr)
			if !ok {
				return nil, fmt.Errorf("%s must be an array", k)
			}
			switch {
			case len(or) == 1:
				and = append(and, or[0])
			case k == "$and":
				and = append(and, andExpr(or))
			default:
				and = append(and, or)
			}
		case "$not":
			e, err := parseValue(path, v)
			if err != nil {
				return nil, err
			}
			and = append(and, notExpr{e})
		default:
			if op, ok := operatorOf(k); ok {
				and = append(and, simpleExpr{path: strings.Join(path, "."), operator: op, value: v})
				continue
			}
			e, err := parseValue(slices.Concat(path, []string{k}), v)
			if err != nil {
				return nil, err
			}
			and = append(and, e)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func parseValue(path []string, v *structpb.Value) (filterExpr, error) {
	switch kind := v.GetKind().(type) {
	case *structpb.Value_ListValue:
		var or orExpr
		for _, elem := range kind.ListValue.GetValues() {
			e, err := parseValue(path, elem)
			if err != nil {
				return nil, err
			}
			or = append(or, e)
		}
		return or, nil
	case *structpb.Value_StructValue:
		return parseStruct(path, kind.StructValue)
	}
	return simpleExpr{path: strings.Join(path, "."), operator: opEquals, value: v}, nil
}

// operatorOf maps the operator keys Pomerium's filter grammar knows to its
// names of the operators. Only equality is evaluated; the others parse and
// are then refused.
func operatorOf(key string) (string, bool) {
	switch key {
	case "=", "==", "$eq", "$equals", "$is":
		return opEquals, true
	case "!=", "$doesNotEqual":
		return "doesNotEqual", true
	case ">", ">=", "<", "<=":
		return key, true
	case "$after", "$before", "$contains", "$doesNotContain", "$endsWith", "$isAnyOf",
		"$isEmpty", "$isNotEmpty", "$onOrAfter", "$onOrBefore", "$startsWith":
		return strings.TrimPrefix(key, "$"), true
	}
	return "", false
}

func (allExpr) list(sc scope) ([]*pb.Record, error) { return sc.all(), nil }

// list of an and is the records every part lists.
func (e andExpr) list(sc scope) ([]*pb.Record, error) {
	lists, err := listEach(e, sc)
	if err != nil || len(lists) == 0 {
		return nil, err
	}
	counts := make(map[*pb.Record]int)
	for _, l := range lists {
		for _, r := range l {
			counts[r]++
		}
	}
	var out []*pb.Record
	for _, r := range lists[0] {
		if counts[r] == len(lists) {
			out = append(out, r)
		}
	}
	return out, nil
}

// list of an or is the records any part lists, once each, in type and id
// order.
func (e orExpr) list(sc scope) ([]*pb.Record, error) {
	lists, err := listEach(e, sc)
	if err != nil {
		return nil, err
	}
	seen := make(map[*pb.Record]bool)
	var out []*pb.Record
	for _, l := range lists {
		for _, r := range l {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b *pb.Record) int {
		return cmp.Or(cmp.Compare(a.GetType(), b.GetType()), cmp.Compare(a.GetId(), b.GetId()))
	})
	return out, nil
}

func listEach(exprs []filterExpr, sc scope) ([][]*pb.Record, error) {
	lists := make([][]*pb.Record, 0, len(exprs))
	for _, e := range exprs {
		l, err := e.list(sc)
		if err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	return lists, nil
}

func (notExpr) list(scope) ([]*pb.Record, error) {
	return nil, fmt.Errorf("%w: not", errLogicalOperatorNotSupported)
}

func (e simpleExpr) list(sc scope) ([]*pb.Record, error) {
	if e.operator != opEquals {
		return nil, fmt.Errorf("%w: %s", errOperatorNotSupported, e.operator)
	}
	want := valueString(e.value)
	switch e.path {
	case "id":
		return sc.byID(want), nil
	case "$index":
		// Pomerium looks an IP or CIDR up in records' $index.cidr; no
		// console record carries one, so nothing matches here.
		return nil, nil
	}
	return sc.byField(e.path, want), nil
}

// valueString renders a filter value the way Pomerium compares it.
func valueString(v *structpb.Value) string {
	switch kind := v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		return fmt.Sprint(kind.BoolValue)
	case *structpb.Value_NumberValue:
		return fmt.Sprint(kind.NumberValue)
	case *structpb.Value_StringValue:
		return kind.StringValue
	case *structpb.Value_ListValue:
		return kind.ListValue.String()
	case *structpb.Value_StructValue:
		return kind.StructValue.String()
	}
	return ""
}
