package databroker

import (
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The field numbers a Sync stream's message is read by before it is decoded.
var (
	syncRecordField = (&pb.SyncResponse{}).ProtoReflect().Descriptor().Fields().ByName("record").Number()

	recordFields        = (&pb.Record{}).ProtoReflect().Descriptor().Fields()
	recordVersionField  = recordFields.ByName("version").Number()
	recordTypeField     = recordFields.ByName("type").Number()
	recordIDField       = recordFields.ByName("id").Number()
	recordModifiedField = recordFields.ByName("modified_at").Number()
)

// syncCodec is the protobuf codec with one difference: a live record of a
// Sync stream that the caller holds already (SyncHandler.Held) is not
// decoded. A writer's own records come back on its Sync stream, most of
// them after the Put that wrote them has answered: decoding each again
// (its data about a kilobyte of a route's) would cost time and leave it to
// the collector, and at a million records the stream holds hundreds of
// megabytes of them while it catches up.
//
// One codec serves one stream: skipped says what the last message held.
type syncCodec struct {
	encoding.CodecV2
	recordType string
	held       func(id []byte, version uint64) bool
	// skipped is the version of the last message's record when held left
	// it undecoded, and 0 otherwise.
	skipped uint64
}

func newSyncCodec(recordType string, held func(id []byte, version uint64) bool) *syncCodec {
	return &syncCodec{CodecV2: encoding.GetCodecV2("proto"), recordType: recordType, held: held}
}

// Name is empty so that a Sync goes out as "application/grpc" like every
// other call (see putCodec).
func (*syncCodec) Name() string { return "" }

func (c *syncCodec) Unmarshal(data mem.BufferSlice, v any) error {
	c.skipped = 0
	res, ok := v.(*pb.SyncResponse)
	if !ok || c.held == nil {
		return c.CodecV2.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	msg := buf.ReadOnlyData()
	if version, id, ok := c.liveRecord(msg); ok && c.held(id, version) {
		res.Reset()
		c.skipped = version
		return nil
	}
	return proto.Unmarshal(msg, res)
}

// liveRecord returns the version and id of the record an encoded
// SyncResponse carries, when it carries only a live record of the
// stream's type with a version and an id. Anything else (options, a
// deleted record, a field given twice, a field a record does not have, a
// field of the wrong wire type, a message cut short) is not read further:
// ok is false and the message is decoded whole, which reports what is
// wrong with it. Of a record it skips, it checks only the fields it reads
// and the lengths of the others: its data is not decoded at all.
func (c *syncCodec) liveRecord(msg []byte) (version uint64, id []byte, ok bool) {
	field, num, typ, err := nextField(msg)
	if err != nil || num != syncRecordField || typ != protowire.BytesType || len(field) != len(msg) {
		return 0, nil, false
	}
	rec, _ := protowire.ConsumeBytes(fieldValue(field)) // nextField read it whole
	var recType []byte
	var seen uint64 // a bit for each field number read
	for len(rec) > 0 {
		f, n, t, err := nextField(rec)
		if err != nil || n >= 64 || seen&(1<<n) != 0 {
			return 0, nil, false
		}
		rec, seen = rec[len(f):], seen|1<<n
		value := fieldValue(f)
		switch {
		case n == recordVersionField && t == protowire.VarintType:
			version, _ = protowire.ConsumeVarint(value)
		case n == recordTypeField && t == protowire.BytesType:
			recType, _ = protowire.ConsumeBytes(value)
		case n == recordIDField && t == protowire.BytesType:
			id, _ = protowire.ConsumeBytes(value)
		case (n == recordDataField || n == recordModifiedField) && t == protowire.BytesType:
		default: // deleted_at, or a field a record does not have
			return 0, nil, false
		}
	}
	if version == 0 || len(id) == 0 || string(recType) != c.recordType {
		return 0, nil, false
	}
	return version, id, true
}
