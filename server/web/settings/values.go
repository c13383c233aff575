package settings

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// holder returns the message holding a field's last segment, or nil when
// a message on the way is unset and create is false.
func (fl *field) holder(s *configpb.Settings, create bool) protoreflect.Message {
	m := s.ProtoReflect()
	for _, fd := range fl.fds[:len(fl.fds)-1] {
		if !m.Has(fd) && !create {
			return nil
		}
		m = m.Mutable(fd).Message()
	}
	return m
}

func (fl *field) leaf() protoreflect.FieldDescriptor { return fl.fds[len(fl.fds)-1] }

// isSet reports whether the settings hold a value for the field.
func (fl *field) isSet(s *configpb.Settings) bool {
	m := fl.holder(s, false)
	return m != nil && m.Has(fl.leaf())
}

// format is a field's value as its input shows it; "" when unset.
func (fl *field) format(s *configpb.Settings) string {
	m := fl.holder(s, false)
	fd := fl.leaf()
	if m == nil || !m.Has(fd) {
		return ""
	}
	v := m.Get(fd)
	switch {
	case fd.IsMap():
		var lines []string
		v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			lines = append(lines, k.String()+": "+v.String())
			return true
		})
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	case fd.IsList():
		return joinList(v.List())
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.MessageKind:
		switch msg := v.Message().Interface().(type) {
		case *durationpb.Duration:
			return msg.AsDuration().String()
		case *configpb.Settings_StringList:
			return strings.Join(msg.GetValues(), "\n")
		case *structpb.Struct:
			b, err := protojson.MarshalOptions{Multiline: true}.Marshal(msg)
			if err != nil {
				return ""
			}
			return string(b)
		}
	}
	return v.String()
}

func joinList(l protoreflect.List) string {
	out := make([]string, l.Len())
	for i := range l.Len() {
		out[i] = l.Get(i).String()
	}
	return strings.Join(out, "\n")
}

// lines splits a textarea into its non-blank lines, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// set parses an input into a field; blank clears it (Pomerium's default).
// The error says what is wrong with the input, for the page to show next
// to it.
func (fl *field) set(s *configpb.Settings, raw string) error {
	raw = strings.TrimSpace(raw)
	fd := fl.leaf()
	if raw == "" {
		if m := fl.holder(s, false); m != nil {
			m.Clear(fd)
		}
		return nil
	}
	if fl.URL {
		urls := []string{raw}
		if fd.IsList() {
			urls = lines(raw)
		}
		if err := checkURLs(urls); err != nil {
			return err
		}
	}
	v, err := fl.parse(fd, raw)
	if err != nil {
		return err
	}
	m := fl.holder(s, true)
	switch {
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool { mp.Clear(k); return true })
		for k, val := range v.(map[string]string) {
			mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfString(val))
		}
	case fd.IsList():
		m.Clear(fd)
		l := m.Mutable(fd).List()
		for _, item := range v.([]string) {
			l.Append(protoreflect.ValueOfString(item))
		}
	default:
		m.Set(fd, v.(protoreflect.Value))
	}
	return nil
}

// parse reads a non-blank input: a map[string]string for a map, []string
// for a list, a protoreflect.Value otherwise.
func (fl *field) parse(fd protoreflect.FieldDescriptor, raw string) (any, error) {
	switch {
	case fd.IsMap():
		out := map[string]string{}
		for i, l := range lines(raw) {
			k, v, ok := strings.Cut(l, ":")
			if k = strings.TrimSpace(k); !ok || k == "" {
				return nil, fmt.Errorf("line %d: must be name: value", i+1)
			}
			out[k] = strings.TrimSpace(v)
		}
		return out, nil
	case fd.IsList():
		return lines(raw), nil
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(raw), nil
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("must be on, off or Pomerium's default")
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.Int32Kind:
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("must be a whole number")
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Uint32Kind:
		n, err := strconv.ParseUint(raw, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("must be a whole number, 0 or more")
		}
		return protoreflect.ValueOfUint32(uint32(n)), nil
	case protoreflect.DoubleKind:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, fmt.Errorf("must be a number")
		}
		return protoreflect.ValueOfFloat64(n), nil
	case protoreflect.EnumKind:
		ev := fd.Enum().Values().ByName(protoreflect.Name(raw))
		if ev == nil {
			return nil, fmt.Errorf("%q is not one of the choices", raw)
		}
		return protoreflect.ValueOfEnum(ev.Number()), nil
	case protoreflect.MessageKind:
		return parseMessage(fd, raw)
	}
	return nil, fmt.Errorf("cannot be edited here")
}

func parseMessage(fd protoreflect.FieldDescriptor, raw string) (any, error) {
	switch fd.Message().FullName() {
	case "google.protobuf.Duration":
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 30s, 5m or 1h30m", raw)
		}
		if d < 0 {
			return nil, fmt.Errorf("must not be negative")
		}
		return protoreflect.ValueOfMessage(durationpb.New(d).ProtoReflect()), nil
	case "pomerium.config.Settings.StringList":
		return protoreflect.ValueOfMessage((&configpb.Settings_StringList{Values: lines(raw)}).ProtoReflect()), nil
	case "google.protobuf.Struct":
		st := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(raw), st); err != nil {
			return nil, fmt.Errorf("must be a JSON object")
		}
		return protoreflect.ValueOfMessage(st.ProtoReflect()), nil
	}
	return nil, fmt.Errorf("cannot be edited here")
}

// checkURLs checks that every value is an absolute URL.
func checkURLs(values []string) error {
	for _, v := range values {
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("%q is not an absolute URL such as https://authenticate.example.com", v)
		}
	}
	return nil
}

// prune clears the message fields the page edits inside of (blob_storage,
// downstream_mtls, circuit_breaker_thresholds) when nothing is left in
// them, so that clearing every input leaves the field unset.
func prune(s *configpb.Settings, fields []*field) {
	m := s.ProtoReflect()
	for _, fl := range fields {
		if len(fl.fds) < 2 {
			continue
		}
		parent := fl.fds[0]
		if m.Has(parent) && isEmpty(m.Get(parent).Message()) {
			m.Clear(parent)
		}
	}
}

func isEmpty(m protoreflect.Message) bool {
	empty := true
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool { empty = false; return false })
	return empty
}
