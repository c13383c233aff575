package store

import (
	"context"
	"time"
)

// RequestKeyRetention is how long the store remembers a request key: a
// client that sends a request again under the same key within it is
// answered the first attempt's outcome; after it, the key is forgotten and
// the request is a new one.
const RequestKeyRetention = 24 * time.Hour

// MaxRequestKeyLength bounds a request key, in bytes.
const MaxRequestKeyLength = 255

// RequestKey names one request of one caller (the actor's subject) that
// the caller may send more than once: when it cannot tell whether a write
// was applied (the connection dropped, the console answered Unavailable),
// it sends the same request again under the same key, and the write is
// made at most once.
type RequestKey struct {
	// Key is chosen by the client, unique among its requests (a UUID).
	Key string
	// Digest identifies what the request asks (a hash of it): the same key
	// sent with another request is refused rather than answered with the
	// outcome of a request the client did not send.
	Digest []byte
}

// Requests applies writes at most once per request key.
type Requests interface {
	// ApplyOnce is Apply on behalf of a request the client may send again.
	// The first time actor sends key, the ops are applied, and the key
	// with what they wrote is recorded in the same transaction: both
	// commit, or neither. Sent again (within RequestKeyRetention), nothing
	// is written and the objects that first write wrote are returned as
	// they are now (nil for a delete); one deleted since is CodeFailedPrecondition.
	// The same key with another digest is CodeInvalid about
	// "idempotency_key".
	ApplyOnce(ctx context.Context, actor Actor, key RequestKey, ops ...Op) ([]Object, error)
}
