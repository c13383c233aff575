package wirespec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Spec is the parsed table, in table order so that failures read in the
// same order as the file.
type Spec struct {
	messages []*specMessage
	enums    []*specEnum
	rpcs     []*specRPC
}

type specMessage struct {
	line   int
	name   protoreflect.FullName
	file   string
	fields []specField
}

type specEnum struct {
	line int
	name protoreflect.FullName
	// file is that of the message rows the enum row follows, or "" when
	// none came before it in its table.
	file   string
	values []specEnumValue
}

type specEnumValue struct {
	name   protoreflect.Name
	number protoreflect.EnumNumber
}

type specRPC struct {
	line              int
	service           protoreflect.FullName
	method            protoreflect.Name
	request, response specStream
}

// specStream is one side of an rpc: a message, possibly streamed.
type specStream struct {
	message   protoreflect.FullName
	streaming bool
}

func (s specStream) String() string {
	if s.streaming {
		return "stream " + string(s.message)
	}
	return string(s.message)
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

// Load reads and merges tables: the table of wire facts, then any
// supplements that add what it leaves out (such as the values of an enum it
// only names). A declaration that two rows make twice is an error, so a
// supplement can add facts but never overrule the table.
func Load(paths ...string) (*Spec, error) {
	spec := &Spec{}
	declared := make(map[protoreflect.FullName]string)
	for _, path := range paths {
		part, err := loadFile(path)
		if err != nil {
			return nil, err
		}
		for _, m := range part.messages {
			if err := declare(declared, m.name, fmt.Sprintf("%s:%d", path, m.line)); err != nil {
				return nil, err
			}
		}
		for _, e := range part.enums {
			if err := declare(declared, e.name, fmt.Sprintf("%s:%d", path, e.line)); err != nil {
				return nil, err
			}
		}
		spec.messages = append(spec.messages, part.messages...)
		spec.enums = append(spec.enums, part.enums...)
		spec.rpcs = append(spec.rpcs, part.rpcs...)
	}
	return spec, nil
}

func declare(declared map[protoreflect.FullName]string, name protoreflect.FullName, at string) error {
	if first, ok := declared[name]; ok {
		return fmt.Errorf("%s: %s is declared again (first at %s)", at, name, first)
	}
	declared[name] = at
	return nil
}

func loadFile(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open table: %w", err)
	}
	defer f.Close()
	spec, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return spec, nil
}

// parse stops at the first row it cannot understand: a misread fact would
// make every later check vacuous.
func parse(r io.Reader) (*Spec, error) {
	spec := &Spec{}
	var current *specMessage
	var section string
	sc := bufio.NewScanner(r)
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
				section = current.file
			}
		case "field":
			if current == nil {
				return nil, fmt.Errorf("line %d: field row without a message row above it", line)
			}
			var f specField
			f, err = parseFieldRow(line, cols)
			current.fields = append(current.fields, f)
		case "enum", "rpc":
			// Field rows never follow these; keeping current would
			// silently attach a misplaced field to the previous message.
			current = nil
			if cols[0] == "enum" {
				var e *specEnum
				e, err = parseEnumRow(line, cols, section)
				spec.enums = append(spec.enums, e)
			} else {
				var r *specRPC
				r, err = parseRPCRow(line, cols)
				spec.rpcs = append(spec.rpcs, r)
			}
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

func parseEnumRow(line int, cols []string, file string) (*specEnum, error) {
	if len(cols) != 3 {
		return nil, fmt.Errorf("line %d: enum row has %d columns, want 3", line, len(cols))
	}
	e := &specEnum{line: line, name: protoreflect.FullName(cols[1]), file: file}
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

func parseRPCRow(line int, cols []string) (*specRPC, error) {
	if len(cols) != 3 {
		return nil, fmt.Errorf("line %d: rpc row has %d columns, want 3", line, len(cols))
	}
	service, method, ok := strings.Cut(cols[1], "/")
	r := &specRPC{line: line, service: protoreflect.FullName(service), method: protoreflect.Name(method)}
	if !ok || !r.service.IsValid() || !r.method.IsValid() {
		return nil, fmt.Errorf("line %d: malformed method %q, want <service>/<method>", line, cols[1])
	}
	request, response, ok := strings.Cut(cols[2], " -> ")
	if !ok {
		return nil, fmt.Errorf("line %d: malformed signature %q, want <request> -> <response>", line, cols[2])
	}
	var err error
	if r.request, err = parseStream(request); err != nil {
		return nil, fmt.Errorf("line %d: request: %w", line, err)
	}
	if r.response, err = parseStream(response); err != nil {
		return nil, fmt.Errorf("line %d: response: %w", line, err)
	}
	return r, nil
}

func parseStream(s string) (specStream, error) {
	rest, streaming := strings.CutPrefix(s, "stream ")
	name := protoreflect.FullName(rest)
	if !name.IsValid() || !strings.Contains(rest, ".") {
		return specStream{}, fmt.Errorf("%q is not a full message name", s)
	}
	return specStream{message: name, streaming: streaming}, nil
}
