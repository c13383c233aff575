package manage

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/pomerium-console/pomerium-console/store"
)

// RequestKey makes a retried request safe. A client that cannot tell
// whether a write was applied (the connection dropped; the console
// answered Unavailable, whose reason may say the change may have been
// applied, or that a read failed after the write was made) sends the same
// request again with the same key: the first
// attempt that commits writes, and every later one writes nothing and is
// answered with what that attempt wrote, as it is now. The key is
// remembered with the write, in the same transaction, for
// store.RequestKeyRetention, per caller (the subject): two callers'
// keys never meet.
//
// The surfaces take the key from the request (the dashboard API and
// ConfigService from an Idempotency-Key header, gRPC metadata
// idempotency-key) with a digest of the request itself, so that a key
// sent again with another request is refused (CodeInvalid) instead of
// answered with the outcome of something else.
//
// Without a key nothing is remembered, and a request sent again is a new
// one. That is safe for most writes: an update or delete by id writes the
// same thing again (or answers NotFound for a delete already made), and a
// create without an id, which takes a new id each time (SetRoute without
// an id, as Pomerium's own clients send it), is refused as
// CodeAlreadyExists about its name, which is unique among its kind in a
// namespace: never a duplicate, but the client learns of its first
// attempt's success only by reading the object.
//
// The key is looked up where the write is made, after the use case's own
// checks. A check that reads what the first attempt changed refuses the
// attempt sent again, key or not: an update that names the version it
// read (expected version) is CodeConflict, a delete of what is already
// deleted CodeNotFound. Both tell a client that its change is there; it
// reads the object again to see it.
type RequestKey = store.RequestKey

// MaxRequestKeyLength bounds the key a client chooses, in bytes: a
// request's later writes add to it (see UseRequestKey), within what the
// store keeps.
const MaxRequestKeyLength = store.MaxRequestKeyLength - 32

// UseRequestKey makes the writes of c's request at-most-once under key
// (see RequestKey). A request that writes more than once (a use case of
// several transactions) gives each write its own key, derived from key by
// its place in the request: a retry makes the same writes in the same
// order, each answered by its first attempt. A key that is empty, longer
// than MaxRequestKeyLength or not printable ASCII is refused
// (CodeInvalid, field "idempotency_key").
func (c *Caller) UseRequestKey(key RequestKey) error {
	if len(key.Key) == 0 || len(key.Key) > MaxRequestKeyLength {
		return invalid("idempotency_key", "must be 1 to %d characters long", MaxRequestKeyLength)
	}
	for i := range len(key.Key) {
		if b := key.Key[i]; b < 0x21 || b > 0x7e {
			return invalid("idempotency_key", "must be printable ASCII without spaces; found byte 0x%02x at %d", b, i)
		}
	}
	c.request = &requestKeys{key: key}
	return nil
}

// requestKeys hands out the keys of one request's writes.
type requestKeys struct {
	key    RequestKey
	writes atomic.Int64
}

// next is the key of the request's next write.
func (r *requestKeys) next() RequestKey {
	n := r.writes.Add(1)
	if n == 1 {
		return r.key
	}
	k := r.key
	k.Key += "#" + strconv.FormatInt(n, 10)
	return k
}

// applyStore writes ops on behalf of c: at most once when c's request
// carries a key.
func (a *App) applyStore(ctx context.Context, c *Caller, ops []store.Op) ([]store.Object, error) {
	if c.request == nil {
		return a.store.Apply(ctx, c.Actor(), ops...)
	}
	out, err := a.store.ApplyOnce(ctx, c.Actor(), c.request.next(), ops...)
	var se *store.Error
	if errors.As(err, &se) && se.Field == "idempotency_key" {
		// About the request, not the object written: no field of it.
		return nil, Refuse(CodeInvalid, "", "the idempotency key %s", se.Reason)
	}
	return out, err
}
