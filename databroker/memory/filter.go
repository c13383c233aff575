package memory

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

// errNoSuchIndex marks a filter on a field the type does not index. Pomerium
// treats it as "no more results", not as an error.
var errNoSuchIndex = errors.New("no such index")

// filterExpr is a parsed Query filter, in the grammar of Pomerium's
// storage.FilterExpressionFromStruct. nil matches everything.
type filterExpr interface {
	// list returns the matching records of c in Pomerium's order: insertion
	// order for a field, first appearance for $or and $and.
	list(c *collection, indexed []string) ([]*pb.Record, error)
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

// operatorOf maps the operator keys Pomerium's filter grammar knows. Only
// equality is evaluated in memory; the others parse and are then refused.
func operatorOf(key string) (string, bool) {
	switch key {
	case "=", "==", "$eq", "$equals", "$is":
		return opEquals, true
	case "$after", "$before", "$contains", "$doesNotContain", "!=", "$doesNotEqual",
		"$endsWith", ">", ">=", "$isAnyOf", "$isEmpty", "$isNotEmpty", "<", "<=",
		"$onOrAfter", "$onOrBefore", "$startsWith":
		return key, true
	}
	return "", false
}

func (allExpr) list(c *collection, _ []string) ([]*pb.Record, error) { return c.all(), nil }

func (e andExpr) list(c *collection, indexed []string) ([]*pb.Record, error) {
	lists, err := listEach(e, c, indexed)
	if err != nil {
		return nil, err
	}
	counts := make(map[*pb.Record]int)
	for _, l := range lists {
		for _, r := range l {
			counts[r]++
		}
	}
	var out []*pb.Record
	for _, l := range lists {
		for _, r := range l {
			if counts[r] == len(lists) {
				out = append(out, r)
				counts[r] = -1
			}
		}
	}
	return out, nil
}

func (e orExpr) list(c *collection, indexed []string) ([]*pb.Record, error) {
	lists, err := listEach(e, c, indexed)
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
	return out, nil
}

func listEach(exprs []filterExpr, c *collection, indexed []string) ([][]*pb.Record, error) {
	lists := make([][]*pb.Record, 0, len(exprs))
	for _, e := range exprs {
		l, err := e.list(c, indexed)
		if err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	return lists, nil
}

func (notExpr) list(*collection, []string) ([]*pb.Record, error) {
	return nil, status.Error(codes.Unimplemented, "logical operator not supported")
}

func (e simpleExpr) list(c *collection, indexed []string) ([]*pb.Record, error) {
	if e.operator != opEquals {
		return nil, status.Error(codes.Unimplemented, "operator not supported")
	}
	want := valueString(e.value)
	switch {
	case e.path == "id":
		if r, ok := c.get(want); ok {
			return []*pb.Record{r}, nil
		}
		return nil, nil
	case e.path == "$index":
		// Pomerium looks an IP or CIDR up in records' $index.cidr; no
		// console record carries one, so nothing matches here.
		return nil, nil
	case slices.Contains(indexed, e.path):
		var out []*pb.Record
		for _, r := range c.all() {
			if v, ok := indexedValue(r.GetData(), e.path); ok && v == want {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return nil, errNoSuchIndex
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
