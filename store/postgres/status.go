package postgres

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/sqldb"
)

// StatusChannel is the LISTEN/NOTIFY channel status writes are announced
// on; the payload is a statusPayload.
const StatusChannel = "pomerium_console_status"

// maxStatusPayload keeps a notification under PostgreSQL's limit of 8,000
// bytes, with room for the envelope.
const maxStatusPayload = 7000

// statusPayload is one notification of a status write. A write of many
// statuses sends several.
type statusPayload struct {
	// Sender is the store that wrote the statuses.
	Sender  string      `json:"sender"`
	Objects []statusKey `json:"objects,omitempty"`
	// MaybeMissed stands for an object whose key alone would not fit.
	MaybeMissed bool `json:"maybe_missed,omitempty"`
}

type statusKey struct {
	Kind store.Kind `json:"kind"`
	ID   string     `json:"id"`
}

// notifyStatus returns the statement that announces, as part of the status
// write, the objects whose status it changes: one notification per
// payload, all in one SELECT.
func (s *Store) notifyStatus(objects []store.ObjectKey) ([]sqldb.Statement, error) {
	payloads, err := statusPayloads(s.sender, objects)
	if err != nil || len(payloads) == 0 {
		return nil, err
	}
	return []sqldb.Statement{func(arg func(any) string) string {
		calls := make([]string, len(payloads))
		for i, p := range payloads {
			calls[i] = "pg_notify('" + StatusChannel + "', " + arg(p) + ")"
		}
		return "SELECT " + strings.Join(calls, ", ")
	}}, nil
}

// statusPayloads encodes the objects into payloads that each fit a
// notification.
func statusPayloads(sender string, objects []store.ObjectKey) ([]string, error) {
	var out []string
	cur := statusPayload{Sender: sender}
	size := 0
	flush := func() error {
		data, err := json.Marshal(cur)
		if err != nil {
			return fmt.Errorf("encode status notification: %w", err)
		}
		out = append(out, string(data))
		cur, size = statusPayload{Sender: sender}, 0
		return nil
	}
	for _, o := range objects {
		key, err := json.Marshal(statusKey(o))
		if err != nil {
			return nil, fmt.Errorf("encode status notification: %w", err)
		}
		n := len(key) + 1 // and a comma
		if n > maxStatusPayload {
			cur.MaybeMissed = true
			continue
		}
		if size+n > maxStatusPayload {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		cur.Objects = append(cur.Objects, statusKey(o))
		size += n
	}
	if len(cur.Objects) > 0 || cur.MaybeMissed {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// receiveStatus publishes a status notification of another process; this
// store's own writes were published when they committed.
func (s *Store) receiveStatus(payload string) {
	var p statusPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		// The objects are unknown, but a reader must not wait forever for
		// one of them.
		s.log.Error(err, "status notification unreadable; readers reread every status")
		s.StatusFeed.Publish(store.StatusEvent{MaybeMissed: true})
		return
	}
	if p.Sender == s.sender {
		return
	}
	if p.MaybeMissed {
		s.StatusFeed.Publish(store.StatusEvent{MaybeMissed: true})
		return
	}
	ev := store.StatusEvent{Objects: make([]store.ObjectKey, len(p.Objects))}
	for i, k := range p.Objects {
		ev.Objects[i] = store.ObjectKey(k)
	}
	s.StatusFeed.Publish(ev)
}
