package sqldb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// writtenObject is an object a keyed write wrote, as request_keys lists
// it.
type writtenObject struct {
	Kind store.Kind `json:"kind"`
	ID   string     `json:"id"`
}

// ApplyOnce performs ops in one transaction unless actor sent key before;
// see store.Requests. The key is looked up after the version lock is
// taken, so two attempts racing each other are answered one after the
// other: the second finds the first's key.
func (db *DB) ApplyOnce(ctx context.Context, actor store.Actor, key store.RequestKey, ops ...store.Op) ([]store.Object, error) {
	if key.Key == "" || len(key.Key) > store.MaxRequestKeyLength {
		return nil, store.Invalid("", "", "idempotency_key", "must be 1 to %d bytes long", store.MaxRequestKeyLength)
	}
	if !actor.Origin.Valid() || actor.Origin == store.OriginSystem {
		return nil, store.Invalid("", "", "origin", "%q is not one of api, ui, kubernetes, import", actor.Origin)
	}
	var out []store.Object
	err := db.inWriteTx(ctx, func(w *writer) error {
		replayed, found, err := w.replay(ctx, actor.Subject, key)
		if err != nil || found {
			out = replayed
			return err
		}
		out = make([]store.Object, len(ops))
		written := make([]*writtenObject, len(ops))
		for i, op := range ops {
			if out[i], err = w.apply(ctx, op, actor); err != nil {
				return err
			}
			if out[i] != nil {
				written[i] = &writtenObject{Kind: out[i].Kind(), ID: out[i].GetObjectMeta().ID}
			}
		}
		return w.remember(ctx, actor.Subject, key, written)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// replay answers a request sent again: the objects its first attempt
// wrote, as they are now. found is false for a key not recorded.
func (w *writer) replay(ctx context.Context, subject string, key store.RequestKey) (out []store.Object, found bool, err error) {
	var digest []byte
	var objects string
	err = w.tx.QueryRowContext(ctx, w.db.d.q("SELECT digest, objects FROM request_keys WHERE subject = $1 AND key = $2 AND created_at >= $3"),
		subject, key.Key, micros(w.now.Add(-store.RequestKeyRetention))).Scan(&digest, &objects)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read request key: %w", err)
	}
	if !bytes.Equal(digest, key.Digest) {
		return nil, true, store.Invalid("", "", "idempotency_key", "was sent before with another request; use a new key for each request")
	}
	var written []*writtenObject
	if err := json.Unmarshal([]byte(objects), &written); err != nil {
		return nil, true, fmt.Errorf("decode the objects of request key: %w", err)
	}
	out = make([]store.Object, len(written))
	for i, o := range written {
		if o == nil {
			continue
		}
		if out[i], err = w.load(ctx, o.Kind, o.ID); errors.Is(err, store.ErrNotFound) {
			return nil, true, store.Precondition(o.Kind, o.ID, "this request was applied when it was first sent, and the %s has been deleted since", strings.ReplaceAll(string(o.Kind), "_", " "))
		} else if err != nil {
			return nil, true, err
		}
	}
	return out, true, nil
}

// remember records key with what its write wrote, and forgets the keys
// older than store.RequestKeyRetention (request_keys_created_at finds
// them).
func (w *writer) remember(ctx context.Context, subject string, key store.RequestKey, written []*writtenObject) error {
	objects, err := json.Marshal(written)
	if err != nil {
		return fmt.Errorf("encode the objects of request key: %w", err)
	}
	if _, err := w.tx.ExecContext(ctx, w.db.d.q("DELETE FROM request_keys WHERE created_at < $1"), micros(w.now.Add(-store.RequestKeyRetention))); err != nil {
		return fmt.Errorf("forget old request keys: %w", err)
	}
	// A key older than the retention was deleted just now: its request is
	// a new one.
	if _, err := w.tx.ExecContext(ctx, w.db.d.q("INSERT INTO request_keys (subject, key, digest, objects, created_at) VALUES ($1, $2, $3, $4, $5)"),
		subject, key.Key, key.Digest, string(objects), micros(w.now)); err != nil {
		return fmt.Errorf("record request key: %w", err)
	}
	return nil
}
