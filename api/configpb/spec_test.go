package configpb_test

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// specPath is the table of wire facts read from Pomerium's compiled
// descriptors. It is the single source of truth for the pomerium.config
// contract; config.proto is written to match it, never the other way round.
const specPath = "testdata/pomerium-config-wire.tsv"

// wireSpec is the parsed table, in table order so that failures read in the
// same order as the file.
type wireSpec struct {
	messages []*specMessage
	enums    []*specEnum
}

type specMessage struct {
	line   int
	name   protoreflect.FullName
	file   string
	fields []specField
}

type specEnum struct {
	line   int
	name   protoreflect.FullName
	values []specEnumValue
}

type specEnumValue struct {
	name   protoreflect.Name
	number protoreflect.EnumNumber
}

// specField is a field as the table writes it. The same shape is produced
// from our generated descriptors (see describeField) so that the two sides
// are compared attribute by attribute.
type specField struct {
	line   int
	name   protoreflect.Name
	number protoreflect.FieldNumber
	// cardinality is "", "optional" (proto3 explicit presence) or
	// "repeated"; maps carry "" as the table does not label them.
	cardinality string
	// elem is the field's type; for maps it is unused and mapKey and
	// mapValue are set instead.
	elem     specType
	mapKey   *specType
	mapValue *specType
	oneof    protoreflect.Name
}

func (f specField) isMap() bool { return f.mapKey != nil }

// typeString renders the type column the way the table spells it.
func (f specField) typeString() string {
	var s string
	if f.isMap() {
		s = fmt.Sprintf("map<%s,%s>", f.mapKey, f.mapValue)
	} else {
		s = f.elem.String()
	}
	if f.cardinality != "" {
		s = f.cardinality + " " + s
	}
	return s
}

// specType is a field's element type: a scalar kind, or a message or enum
// kind together with the full name of that type.
type specType struct {
	kind     protoreflect.Kind
	typeName protoreflect.FullName
}

func (t specType) String() string {
	switch t.kind {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return string(t.typeName)
	case protoreflect.EnumKind:
		return "enum " + string(t.typeName)
	default:
		return t.kind.String()
	}
}

// scalarKinds maps the table's scalar type names, which are protobuf's own,
// to their kinds.
var scalarKinds = func() map[string]protoreflect.Kind {
	kinds := make(map[string]protoreflect.Kind)
	for k := protoreflect.DoubleKind; k <= protoreflect.Sint64Kind; k++ {
		switch k {
		case protoreflect.MessageKind, protoreflect.GroupKind, protoreflect.EnumKind:
			continue
		}
		kinds[k.String()] = k
	}
	return kinds
}()

// loadSpec reads and parses the table, stopping the test on any row it
// cannot understand: a misread fact would make every later check vacuous.
func loadSpec(t *testing.T) *wireSpec {
	t.Helper()
	f, err := os.Open(specPath)
	if err != nil {
		t.Fatalf("open spec: %v", err)
	}
	defer f.Close()
	spec, err := parseSpec(bufio.NewScanner(f))
	if err != nil {
		t.Fatalf("parse %s: %v", specPath, err)
	}
	return spec
}

func parseSpec(sc *bufio.Scanner) (*wireSpec, error) {
	spec := &wireSpec{}
	var current *specMessage
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		var err error
		switch cols[0] {
		case "message":
			current, err = parseMessageRow(line, cols)
			if err == nil {
				spec.messages = append(spec.messages, current)
			}
		case "field":
			if current == nil {
				return nil, fmt.Errorf("line %d: field row before any message row", line)
			}
			var f specField
			f, err = parseFieldRow(line, cols)
			current.fields = append(current.fields, f)
		case "enum":
			// Field rows never follow an enum row; keeping current would
			// silently attach a misplaced field to the previous message.
			current = nil
			var e *specEnum
			e, err = parseEnumRow(line, cols)
			spec.enums = append(spec.enums, e)
		default:
			err = fmt.Errorf("line %d: unknown row kind %q", line, cols[0])
		}
		if err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return spec, nil
}

func parseMessageRow(line int, cols []string) (*specMessage, error) {
	if len(cols) != 3 {
		return nil, fmt.Errorf("line %d: message row has %d columns, want 3", line, len(cols))
	}
	name := protoreflect.FullName(cols[1])
	if !name.IsValid() {
		return nil, fmt.Errorf("line %d: invalid message name %q", line, cols[1])
	}
	return &specMessage{line: line, name: name, file: cols[2]}, nil
}

func parseFieldRow(line int, cols []string) (specField, error) {
	if len(cols) != 5 {
		return specField{}, fmt.Errorf("line %d: field row has %d columns, want 5", line, len(cols))
	}
	f := specField{line: line, name: protoreflect.Name(cols[1])}
	if !f.name.IsValid() {
		return f, fmt.Errorf("line %d: invalid field name %q", line, cols[1])
	}
	number, err := strconv.ParseInt(cols[2], 10, 32)
	if err != nil {
		return f, fmt.Errorf("line %d: field number: %w", line, err)
	}
	f.number = protoreflect.FieldNumber(number)
	if !f.number.IsValid() {
		return f, fmt.Errorf("line %d: field number %d out of range", line, number)
	}

	typ := cols[3]
	for _, label := range []string{"repeated", "optional"} {
		if rest, ok := strings.CutPrefix(typ, label+" "); ok {
			f.cardinality, typ = label, rest
			break
		}
	}
	if inner, ok := strings.CutPrefix(typ, "map<"); ok {
		inner, closed := strings.CutSuffix(inner, ">")
		k, v, comma := strings.Cut(inner, ",")
		if !closed || !comma || f.cardinality != "" {
			return f, fmt.Errorf("line %d: malformed map type %q", line, cols[3])
		}
		key, err := parseType(k)
		if err != nil {
			return f, fmt.Errorf("line %d: map key: %w", line, err)
		}
		value, err := parseType(v)
		if err != nil {
			return f, fmt.Errorf("line %d: map value: %w", line, err)
		}
		f.mapKey, f.mapValue = &key, &value
	} else if f.elem, err = parseType(typ); err != nil {
		return f, fmt.Errorf("line %d: %w", line, err)
	}

	if cols[4] != "" {
		oneof, ok := strings.CutPrefix(cols[4], "oneof ")
		if !ok || !protoreflect.Name(oneof).IsValid() {
			return f, fmt.Errorf("line %d: malformed oneof column %q", line, cols[4])
		}
		f.oneof = protoreflect.Name(oneof)
	}
	return f, nil
}

func parseType(s string) (specType, error) {
	if kind, ok := scalarKinds[s]; ok {
		return specType{kind: kind}, nil
	}
	kind := protoreflect.MessageKind
	if rest, ok := strings.CutPrefix(s, "enum "); ok {
		kind, s = protoreflect.EnumKind, rest
	}
	name := protoreflect.FullName(s)
	if !name.IsValid() || !strings.Contains(s, ".") {
		return specType{}, fmt.Errorf("type %q is neither a scalar nor a full type name", s)
	}
	return specType{kind: kind, typeName: name}, nil
}

func parseEnumRow(line int, cols []string) (*specEnum, error) {
	if len(cols) != 3 {
		return nil, fmt.Errorf("line %d: enum row has %d columns, want 3", line, len(cols))
	}
	e := &specEnum{line: line, name: protoreflect.FullName(cols[1])}
	if !e.name.IsValid() {
		return nil, fmt.Errorf("line %d: invalid enum name %q", line, cols[1])
	}
	for _, pair := range strings.Fields(cols[2]) {
		name, num, ok := strings.Cut(pair, "=")
		number, err := strconv.ParseInt(num, 10, 32)
		if !ok || err != nil || !protoreflect.Name(name).IsValid() {
			return nil, fmt.Errorf("line %d: malformed enum value %q", line, pair)
		}
		e.values = append(e.values, specEnumValue{name: protoreflect.Name(name), number: protoreflect.EnumNumber(number)})
	}
	if len(e.values) == 0 {
		return nil, fmt.Errorf("line %d: enum %s has no values", line, e.name)
	}
	return e, nil
}
