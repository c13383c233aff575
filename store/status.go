package store

import (
	"context"
	"slices"
	"time"
)

// SyncState is what became of a desired object in the databroker.
type SyncState string

// The sync states.
const (
	// SyncPending: the object changed and its record is not written yet.
	SyncPending SyncState = "pending"
	// SyncSynced: the databroker holds the object's record.
	SyncSynced SyncState = "synced"
	// SyncError: the object is invalid (or its record could not be
	// written); Reason says why. Its last good record, if any, stays.
	SyncError SyncState = "error"
)

// ObjectStatus is the reconciler's finding about one desired object.
type ObjectStatus struct {
	Kind Kind
	ID   string
	// State is the finding. An ObjectStatus with an empty State given to
	// SetStatus removes the stored status.
	State SyncState
	// ObjectVersion is the store version of the object the finding is about:
	// a status older than the object's current version is stale.
	ObjectVersion int64
	// RecordVersion is the databroker record version once synced.
	RecordVersion uint64
	Reason        string
	// Field names the offending field of an invalid object.
	Field     string
	UpdatedAt time.Time
}

// Health is what a reconciler reports about itself.
type Health struct {
	// Name identifies the reconciler (one per databroker).
	Name string `json:"name"`
	// Holder is the instance that holds the writer lease, if any.
	Holder string `json:"holder,omitempty"`
	// LastSuccess is the end of the last pass that wrote everything it meant to.
	LastSuccess time.Time `json:"last_success"`
	// SyncedVersion is the store version the last successful pass compiled.
	SyncedVersion int64 `json:"synced_version"`
	// LastError and LastErrorAt describe the most recent failed pass.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at"`
	// DatabrokerServerVersion is the server version of the databroker the
	// reconciler's view was loaded from.
	DatabrokerServerVersion uint64    `json:"databroker_server_version"`
	UpdatedAt               time.Time `json:"updated_at"`
}

// StatusStore keeps the reconciler's findings where the API, the web console
// and the Kubernetes controllers can read them. Status writes take no
// version, write no activity and publish no change event: they are announced
// on a feed of their own, so that the reconciler writing them is not woken
// by its own findings.
type StatusStore interface {
	StatusSink
	StatusReader
}

// StatusSink is where the reconciler writes its findings.
type StatusSink interface {
	// SetStatus upserts statuses (and removes those with an empty State),
	// then announces them on the status feed of every store on the same
	// data, this one included.
	SetStatus(ctx context.Context, statuses []ObjectStatus) error
	// SetHealth records a reconciler's health.
	SetHealth(ctx context.Context, h Health) error
	// SetDataSourceStatus records what the fetcher of a data source
	// found; RemoveDataSourceStatus forgets it once the records it wrote
	// are gone.
	SetDataSourceStatus(ctx context.Context, s DataSourceStatus) error
	RemoveDataSourceStatus(ctx context.Context, id string) error
}

// StatusReader reads the reconciler's findings.
type StatusReader interface {
	// SubscribeStatus returns a feed of status notifications, so that a
	// reader waiting for the reconciler's finding about an object need not
	// poll for it. The subscription ends when ctx ends or Close is called.
	SubscribeStatus(ctx context.Context) *StatusSubscription
	// Status returns the stored statuses of the given objects of kind k; ids
	// without one are missing from the map. No ids: every status of kind k.
	Status(ctx context.Context, k Kind, ids ...string) (map[string]ObjectStatus, error)
	// Health returns every reconciler's health.
	Health(ctx context.Context) ([]Health, error)
	// DataSourceStatuses returns the status of every data source, by id.
	DataSourceStatuses(ctx context.Context) (map[string]DataSourceStatus, error)
}

// ObjectKey names one object.
type ObjectKey struct {
	Kind Kind
	ID   string
}

// StatusEvent says whose status changed.
type StatusEvent struct {
	// Objects are the objects whose status was set or removed, in no
	// particular order, possibly with repeats.
	Objects []ObjectKey
	// MaybeMissed says that statuses of objects not listed may have changed
	// too (the feed's connection dropped and came back, or another process
	// wrote statuses the backend cannot name): the reader must read again
	// every status it cares about. Objects is then empty.
	MaybeMissed bool
}

// maxStatusEventObjects bounds the objects an unread status event collects;
// past it the event says MaybeMissed instead, so that a reader that stops
// reading costs a bounded amount of memory.
const maxStatusEventObjects = 100_000

func (ev StatusEvent) merge(older StatusEvent) StatusEvent {
	if ev.MaybeMissed || older.MaybeMissed || len(ev.Objects)+len(older.Objects) > maxStatusEventObjects {
		return StatusEvent{MaybeMissed: true}
	}
	// A new slice: every subscription was handed the same published one.
	return StatusEvent{Objects: slices.Concat(older.Objects, ev.Objects)}
}

// StatusFeed fans status events out to subscriptions.
type StatusFeed = FeedOf[StatusEvent]

// StatusSubscription delivers status events.
type StatusSubscription = SubscriptionOf[StatusEvent]
