package databroker

import (
	"fmt"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The field numbers of what a Put's answer leaves out.
var (
	putRecordsField = (&pb.PutResponse{}).ProtoReflect().Descriptor().Fields().ByName("records").Number()
	recordDataField = (&pb.Record{}).ProtoReflect().Descriptor().Fields().ByName("data").Number()
)

// putCodec is the protobuf codec with one difference: a Put's answer is
// decoded without its records' data. The databroker answers a Put with
// every record written, data included, and a writer knows what it sent:
// the data is most of the answer (about a kilobyte of each route's), which
// would otherwise be copied out and left to the collector.
type putCodec struct{ encoding.CodecV2 }

func newPutCodec() putCodec { return putCodec{encoding.GetCodecV2("proto")} }

// Name is empty so that a Put goes out as "application/grpc" like every
// other call: a codec given to a call names its content subtype.
func (putCodec) Name() string { return "" }

func (c putCodec) Unmarshal(data mem.BufferSlice, v any) error {
	res, ok := v.(*pb.PutResponse)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	lean, err := withoutRecordData(buf.ReadOnlyData())
	if err != nil {
		return fmt.Errorf("decode a put's answer: %w", err)
	}
	return proto.Unmarshal(lean, res)
}

// withoutRecordData returns an encoded PutResponse with the data of its
// records left out, and every other field as it was. It reads the answer
// twice, first to size what it keeps, so that what it keeps takes one
// allocation of its size.
func withoutRecordData(b []byte) ([]byte, error) {
	var sizes []int // of each record kept, in order
	total := 0
	err := eachField(b, func(field []byte, num protowire.Number, typ protowire.Type) error {
		value, ok := recordValue(field, num, typ)
		if !ok {
			total += len(field)
			return nil
		}
		size := 0
		if err := eachKeptField(value, func(f []byte) { size += len(f) }); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		sizes = append(sizes, size)
		total += protowire.SizeTag(num) + protowire.SizeBytes(size)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, total)
	_ = eachField(b, func(field []byte, num protowire.Number, typ protowire.Type) error {
		value, ok := recordValue(field, num, typ)
		if !ok {
			out = append(out, field...)
			return nil
		}
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendVarint(out, uint64(sizes[0]))
		sizes = sizes[1:]
		return eachKeptField(value, func(f []byte) { out = append(out, f...) })
	}) // the first reading found it well formed
	return out, nil
}

// recordValue returns the encoded record a field of a PutResponse holds;
// ok is false for any other field.
func recordValue(field []byte, num protowire.Number, typ protowire.Type) (value []byte, ok bool) {
	if num != putRecordsField || typ != protowire.BytesType {
		return nil, false
	}
	value, _ = protowire.ConsumeBytes(fieldValue(field)) // eachField read it whole
	return value, true
}

// eachKeptField calls fn with each field of an encoded record but its data.
func eachKeptField(record []byte, fn func(field []byte)) error {
	return eachField(record, func(f []byte, n protowire.Number, _ protowire.Type) error {
		if n != recordDataField {
			fn(f)
		}
		return nil
	})
}

// eachField calls fn with each field of b, whole (its tag and value), its
// number and its wire type, until b ends, b is malformed or fn fails.
func eachField(b []byte, fn func(field []byte, num protowire.Number, typ protowire.Type) error) error {
	for len(b) > 0 {
		field, num, typ, err := nextField(b)
		if err != nil {
			return err
		}
		b = b[len(field):]
		if err := fn(field, num, typ); err != nil {
			return err
		}
	}
	return nil
}

// fieldValue returns the value of a whole field that nextField read: what
// follows its tag, however many bytes the tag took (an encoder may write a
// tag longer than it needs to be).
func fieldValue(field []byte) []byte {
	_, _, n := protowire.ConsumeTag(field)
	return field[n:]
}

// nextField returns the first field of b, whole (its tag and value), with
// its number and wire type.
func nextField(b []byte) (field []byte, num protowire.Number, typ protowire.Type, err error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return nil, 0, 0, protowire.ParseError(n)
	}
	size := protowire.ConsumeFieldValue(num, typ, b[n:])
	if size < 0 {
		return nil, 0, 0, fmt.Errorf("field %d: %w", num, protowire.ParseError(size))
	}
	return b[:n+size], num, typ, nil
}
