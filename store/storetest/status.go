package storetest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// testStatus covers what the reconciler writes about objects and itself:
// status is kept outside the version sequence, the activity log and the
// change feed, and goes away with its object.
func testStatus(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "ObjectStatus", newEnv, func(t *testing.T, f *fixture) {
		r := put(f, newRoute(store.GlobalNamespaceID, "r", "https://r.example.com"))
		bad := put(f, newRoute(store.GlobalNamespaceID, "bad", "https://bad.example.com"))
		before := f.snapshot()
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		want := []store.ObjectStatus{
			{Kind: store.KindRoute, ID: r.ID, State: store.SyncSynced, ObjectVersion: r.Version, RecordVersion: 42, UpdatedAt: at},
			{Kind: store.KindRoute, ID: bad.ID, State: store.SyncError, ObjectVersion: bad.Version, Reason: "from: no scheme", Field: "spec.from", UpdatedAt: at},
		}
		if err := f.s.SetStatus(f.ctx, want); err != nil {
			t.Fatalf("set status: %v", err)
		}
		// The version, the changes and the activity log stay as they were:
		// readers of desired state are not woken by status.
		f.unchanged(before)
		got, err := f.s.Status(f.ctx, store.KindRoute)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "statuses", map[string]store.ObjectStatus{r.ID: want[0], bad.ID: want[1]}, got)

		got, err = f.s.Status(f.ctx, store.KindRoute, bad.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "status by id", map[string]store.ObjectStatus{bad.ID: want[1]}, got)

		f.del(store.DeleteOp{Kind: store.KindRoute, ID: bad.ID})
		if err := f.s.SetStatus(f.ctx, []store.ObjectStatus{{Kind: store.KindRoute, ID: r.ID}}); err != nil {
			t.Fatalf("remove status: %v", err)
		}
		got, err = f.s.Status(f.ctx, store.KindRoute)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "statuses after delete and removal", map[string]store.ObjectStatus{}, got)
	})
	subtest(t, "StatusValuesKeptExactly", newEnv, func(t *testing.T, f *fixture) {
		// Status rows come back as given, whether a write passes them as
		// parameters (SQLite) or as a JSON array (PostgreSQL): the
		// largest record version, text JSON and SQL escape. Written alone,
		// then in a write past one statement's rows (501) and one of
		// fewer (437: on SQLite six statements of 256, 128, 32, 16, 4 and
		// 1 rows), each row's versions, time, reason and field its own.
		want := store.ObjectStatus{Kind: store.KindRoute, ID: "r-\"quoted\"", State: store.SyncError, ObjectVersion: math.MaxInt64,
			RecordVersion: math.MaxUint64, Reason: "from: \"x\" \\ <&> 'é' \u2028 \n\t end", Field: "spec.to[0]", UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)}
		if err := f.s.SetStatus(f.ctx, []store.ObjectStatus{want}); err != nil {
			t.Fatalf("set status: %v", err)
		}
		got, err := f.s.Status(f.ctx, store.KindRoute, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "status", map[string]store.ObjectStatus{want.ID: want}, got)
		many := map[string]store.ObjectStatus{want.ID: want}
		for write, n := range []int{501, 437} {
			var given []store.ObjectStatus
			for i := range n {
				s := store.ObjectStatus{Kind: store.KindRoute, ID: fmt.Sprintf("r-%d", i), State: store.SyncSynced,
					ObjectVersion: int64(write*1000 + i), RecordVersion: uint64(write*2000 + i), UpdatedAt: want.UpdatedAt.Add(time.Duration(write*3000+i) * time.Microsecond)}
				if (i+write)%2 == 0 {
					s.State, s.Reason, s.Field = store.SyncError, fmt.Sprintf("reason %d of write %d", i, write), fmt.Sprintf("spec.to[%d]", i)
				}
				many[s.ID] = s
				given = append(given, s)
			}
			if err := f.s.SetStatus(f.ctx, given); err != nil {
				t.Fatalf("write %d: set %d statuses: %v", write, len(given), err)
			}
			got, err := f.s.Status(f.ctx, store.KindRoute)
			if err != nil {
				t.Fatal(err)
			}
			assertEqual(t, fmt.Sprintf("statuses after write %d", write), many, got)
		}
	})
	subtest(t, "ManyStatuses", newEnv, func(t *testing.T, f *fixture) {
		// More than one statement's worth, with one object named twice:
		// the later status wins.
		var many []store.ObjectStatus
		for i := range 1234 {
			many = append(many, store.ObjectStatus{Kind: store.KindRoute, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
				State: store.SyncPending, ObjectVersion: int64(i + 1)})
		}
		twice := many[7]
		twice.State, twice.RecordVersion = store.SyncSynced, 9
		many = append(many, twice)
		if err := f.s.SetStatus(f.ctx, many); err != nil {
			t.Fatalf("set %d statuses: %v", len(many), err)
		}
		got, err := f.s.Status(f.ctx, store.KindRoute)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1234 {
			t.Errorf("%d statuses stored, want 1234", len(got))
		}
		assertEqual(t, "status given twice", twice, got[twice.ID])
	})
	subtest(t, "StatusesPastOneStatementsParameters", newEnv, func(t *testing.T, f *fixture) {
		// 16,000 statuses would take 128,000 parameters, more than one
		// statement may have: the write is several statements where the
		// rows are parameters (SQLite), one over a JSON array of them
		// elsewhere, and all or nothing either way.
		const n = 16_000
		id := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
		var first []store.ObjectStatus
		for i := range n {
			first = append(first, store.ObjectStatus{Kind: store.KindRoute, ID: id(i), State: store.SyncPending, ObjectVersion: 1})
		}
		if err := f.s.SetStatus(f.ctx, first); err != nil {
			t.Fatalf("set %d statuses: %v", n, err)
		}
		// Then removals and updates in one write.
		var second []store.ObjectStatus
		for i := range n {
			s := store.ObjectStatus{Kind: store.KindRoute, ID: id(i)}
			if i%100 != 0 {
				s.State, s.ObjectVersion, s.RecordVersion = store.SyncSynced, 2, uint64(i)
			}
			second = append(second, s)
		}
		if err := f.s.SetStatus(f.ctx, second); err != nil {
			t.Fatalf("set %d statuses: %v", n, err)
		}
		got, err := f.s.Status(f.ctx, store.KindRoute)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n-n/100 {
			t.Errorf("%d statuses stored, want %d", len(got), n-n/100)
		}
		for i := range n {
			s, ok := got[id(i)]
			switch {
			case i%100 == 0 && ok:
				t.Fatalf("status %d removed, still stored: %+v", i, s)
			case i%100 != 0 && (s.State != store.SyncSynced || s.RecordVersion != uint64(i)):
				t.Fatalf("status %d: %+v, want synced at record version %d", i, s, i)
			}
		}
	})
	subtest(t, "Health", newEnv, func(t *testing.T, f *fixture) {
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		h := store.Health{Name: "default", Holder: "console-1", LastSuccess: at, SyncedVersion: 7, DatabrokerServerVersion: 99, UpdatedAt: at}
		if err := f.s.SetHealth(f.ctx, h); err != nil {
			t.Fatal(err)
		}
		h.LastError, h.LastErrorAt = "databroker unavailable", at.Add(time.Second)
		if err := f.s.SetHealth(f.ctx, h); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.Health(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "health", []store.Health{h}, got)
		wantError(t, f.s.SetHealth(f.ctx, store.Health{}), store.CodeInvalid, "name")
		f.reopen(testKey)
		if got, err = f.s.Health(f.ctx); err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "health after restart", []store.Health{h}, got)
	})
}
