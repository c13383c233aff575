package compile

import (
	"testing"
	"time"
	"unsafe"

	"github.com/pomerium-console/pomerium-console/store"
)

// A route entry keeps less of a route's metadata than the store gives it,
// and must give back what its record carries: id, namespace, name, version
// and both times to the nanosecond, in UTC; a zero time stays zero.
func TestRouteMetaKeepsWhatRecordsCarry(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	for _, m := range []store.ObjectMeta{
		{ID: "r1", NamespaceID: "ns", Name: "app", Version: 7, Origin: store.OriginAPI,
			CreatedAt: time.Date(2026, 12, 5, 21, 0, 0, 123456789, paris), ModifiedAt: time.Date(2026, 12, 5, 22, 0, 0, 1, time.UTC)},
		{ID: "r2", NamespaceID: "ns", Version: 1},
		{ID: "r3", CreatedAt: time.Date(1969, 7, 20, 20, 17, 0, 999999999, time.UTC), ModifiedAt: time.Date(2300, 1, 1, 0, 0, 0, 5, time.UTC)},
	} {
		kept := metaOf(m)
		got := kept.objectMeta()
		want := store.ObjectMeta{ID: m.ID, NamespaceID: m.NamespaceID, Name: m.Name, Version: m.Version,
			CreatedAt: m.CreatedAt, ModifiedAt: m.ModifiedAt}
		if !got.CreatedAt.Equal(want.CreatedAt) || !got.ModifiedAt.Equal(want.ModifiedAt) ||
			got.CreatedAt.IsZero() != want.CreatedAt.IsZero() || got.ModifiedAt.IsZero() != want.ModifiedAt.IsZero() {
			t.Errorf("%s: times %v, %v; want %v, %v", m.ID, got.CreatedAt, got.ModifiedAt, want.CreatedAt, want.ModifiedAt)
		}
		if got.CreatedAt.Location() != time.UTC || got.ModifiedAt.Location() != time.UTC {
			t.Errorf("%s: times not in UTC: %v, %v", m.ID, got.CreatedAt, got.ModifiedAt)
		}
		got.CreatedAt, got.ModifiedAt, want.CreatedAt, want.ModifiedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got != want {
			t.Errorf("%s: meta %+v; want %+v", m.ID, got, want)
		}
	}
	zero := metaOf(store.ObjectMeta{})
	if z := zero.objectMeta(); z != (store.ObjectMeta{}) {
		t.Errorf("zero meta came back as %+v", z)
	}
}

// TestResyncFieldsShareACacheLine keeps what LookRoute reads of a route
// entry in its first 64 bytes (a route entry is allocated in the 256-byte
// size class, so its first 64 bytes are one cache line): at a million
// routes a resync's reads of the entries are cache misses, three instead
// of one when these fields are spread over the entry.
func TestResyncFieldsShareACacheLine(t *testing.T) {
	t.Parallel()
	var e routeEntry
	meta := unsafe.Offsetof(e.meta)
	for name, end := range map[string]uintptr{
		"digest":           unsafe.Offsetof(e.digest) + unsafe.Sizeof(e.digest),
		"hasRecord":        unsafe.Offsetof(e.hasRecord) + unsafe.Sizeof(e.hasRecord),
		"err":              unsafe.Offsetof(e.err) + unsafe.Sizeof(e.err),
		"meta.Version":     meta + unsafe.Offsetof(e.meta.Version) + unsafe.Sizeof(e.meta.Version),
		"meta.NamespaceID": meta + unsafe.Offsetof(e.meta.NamespaceID) + unsafe.Sizeof(e.meta.NamespaceID),
	} {
		if end > 64 {
			t.Errorf("routeEntry.%s ends at byte %d, past the entry's first cache line", name, end)
		}
	}
	if size := unsafe.Sizeof(e); size <= 240 || size > 256 {
		// Objects of the 256-byte size class start on a cache line; of the
		// 240- and 224-byte ones, not. Shrunk to 192 bytes it would again.
		t.Errorf("routeEntry is %d bytes, no longer in the 256-byte size class whose objects start on a cache line", size)
	}
}
