package manage

import (
	"fmt"
	"time"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pomerium-console/pomerium-console/api/sessionpb"
)

// sessionRef is a session record with what lists sort and filter it by,
// read from its data without decoding the rest (its tokens and claims):
// a list of a cluster's sessions reads every one and keeps a page.
type sessionRef struct {
	r                         *databrokerpb.Record
	id, userID                string
	issued, accessed, expires time.Time
	// session is the whole session, once decoded.
	session *sessionpb.Session
}

// The numbers of the fields of session.Session a sessionRef reads, and
// those of google.protobuf.Timestamp.
const (
	sessionFieldID         protowire.Number = 2
	sessionFieldUserID     protowire.Number = 3
	sessionFieldExpiresAt  protowire.Number = 4
	sessionFieldIssuedAt   protowire.Number = 14
	sessionFieldAccessedAt protowire.Number = 18
	timestampFieldSeconds  protowire.Number = 1
	timestampFieldNanos    protowire.Number = 2
)

// refOf reads the id, user and times of a session record.
func refOf(r *databrokerpb.Record) (*sessionRef, error) {
	if got := r.GetData().GetTypeUrl(); got != sessionType {
		return nil, fmt.Errorf("its data is a %s", got)
	}
	// An unset time reads as the Unix epoch, as the decoded session's
	// AsTime gives it.
	epoch := time.Unix(0, 0).UTC()
	ref := &sessionRef{r: r, id: r.GetId(), issued: epoch, accessed: epoch, expires: epoch}
	b := r.GetData().GetValue()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		var err error
		switch num {
		case sessionFieldID:
			if len(v) > 0 {
				ref.id = string(v)
			}
		case sessionFieldUserID:
			ref.userID = string(v)
		case sessionFieldExpiresAt:
			ref.expires, err = timestampOf(v)
		case sessionFieldIssuedAt:
			ref.issued, err = timestampOf(v)
		case sessionFieldAccessedAt:
			ref.accessed, err = timestampOf(v)
		}
		if err != nil {
			return nil, err
		}
	}
	return ref, nil
}

// timestampOf reads an encoded google.protobuf.Timestamp.
func timestampOf(b []byte) (time.Time, error) {
	var secs, nanos int64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return time.Time{}, protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.VarintType && (num == timestampFieldSeconds || num == timestampFieldNanos) {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return time.Time{}, protowire.ParseError(n)
			}
			b = b[n:]
			if num == timestampFieldSeconds {
				secs = int64(v)
			} else {
				nanos = int64(int32(v))
			}
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return time.Time{}, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return time.Unix(secs, nanos).UTC(), nil
}

// full decodes the whole session.
func (ref *sessionRef) full() (*sessionpb.Session, error) {
	if ref.session != nil {
		return ref.session, nil
	}
	s := new(sessionpb.Session)
	if err := decode(ref.r, s); err != nil {
		return nil, err
	}
	if s.Id == "" {
		s.Id = ref.r.GetId()
	}
	ref.session = s
	return s, nil
}
