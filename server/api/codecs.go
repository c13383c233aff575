package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The codecs decode requests as Connect's own do (binary protobuf, and
// protojson discarding unknown fields), and say which field of a request
// holds invalid UTF-8 when that is why it does not decode: protobuf's own
// error does not name it.

// codecs are the API's codecs, in place of Connect's defaults of the same
// names.
func codecs() connect.Option {
	return connect.WithOptions(
		connect.WithCodec(protoCodec{}),
		connect.WithCodec(jsonCodec{name: "json"}),
		connect.WithCodec(jsonCodec{name: "json; charset=utf-8"}),
	)
}

type protoCodec struct{}

func (protoCodec) Name() string { return "proto" }

func (protoCodec) Marshal(message any) ([]byte, error) {
	m, err := asProto(message)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(m)
}

func (protoCodec) Unmarshal(data []byte, message any) error {
	m, err := asProto(message)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(data, m); err != nil {
		if path := wireInvalidUTF8(data, m.ProtoReflect().Descriptor(), ""); path != "" {
			return fmt.Errorf("%s: is not valid UTF-8", path)
		}
		return fmt.Errorf("unmarshal into %T: %w", message, err)
	}
	return nil
}

type jsonCodec struct{ name string }

func (c jsonCodec) Name() string { return c.name }

func (jsonCodec) Marshal(message any) ([]byte, error) {
	m, err := asProto(message)
	if err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{}.Marshal(m)
}

func (jsonCodec) Unmarshal(data []byte, message any) error {
	m, err := asProto(message)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("zero-length payload is not a valid JSON object")
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, m); err != nil {
		if path := jsonInvalidUTF8(data); path != "" {
			return fmt.Errorf("%s: is not valid UTF-8", path)
		}
		return fmt.Errorf("unmarshal into %T: %w", message, err)
	}
	return nil
}

func asProto(message any) (proto.Message, error) {
	m, ok := message.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("%T is not a protobuf message", message)
	}
	return m, nil
}

// wireInvalidUTF8 returns the path of the first string field of data, a
// message of md in protobuf's encoding, that is not valid UTF-8; "" when
// there is none or data does not parse. A map's entries are messages of
// their key and value, so a path into a map ends in .key or .value.
func wireInvalidUTF8(data []byte, md protoreflect.MessageDescriptor, prefix string) string {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return ""
		}
		data = data[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, data); n < 0 {
				return ""
			}
			data = data[n:]
			continue
		}
		value, n := protowire.ConsumeBytes(data)
		if n < 0 {
			return ""
		}
		data = data[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			continue
		}
		path := string(fd.Name())
		if prefix != "" {
			path = prefix + "." + path
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			if !utf8.Valid(value) {
				return path
			}
		case protoreflect.MessageKind:
			if p := wireInvalidUTF8(value, fd.Message(), path); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonInvalidUTF8 returns the path of keys and indexes ("policy.name",
// "route.to[1]") of the first string of a JSON document that is not valid
// UTF-8; "" when there is none or the document does not parse.
func jsonInvalidUTF8(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	type level struct {
		array bool
		index int
		key   string
		// wantKey is true in an object where the next string is a key.
		wantKey bool
	}
	var stack []*level
	// path names the value at the first n levels of the stack.
	path := func(n int) string {
		var b bytes.Buffer
		for _, l := range stack[:n] {
			switch {
			case l.array:
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			default:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			}
		}
		return b.String()
	}
	// valueDone moves the innermost container past a value.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if l := stack[len(stack)-1]; l.array {
			l.index++
		} else {
			l.wantKey = true
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &level{wantKey: true})
			case '[':
				stack = append(stack, &level{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			raw := data[start:dec.InputOffset()]
			isKey := len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].wantKey
			switch {
			case isKey && !utf8.Valid(raw):
				if p := path(len(stack) - 1); p != "" {
					return p + " (a key)"
				}
				return "a key"
			case isKey:
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
			case !utf8.Valid(raw):
				return path(len(stack))
			default:
				valueDone()
			}
		default:
			valueDone()
		}
	}
}
