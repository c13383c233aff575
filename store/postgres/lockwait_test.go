package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestWriteAfterWaitingForTheLockSkipsAnIDTakenMeanwhile: a write that
// waits for the version lock reads the activity log's last id from before
// the wait (PostgreSQL's snapshot of the locking statement). An entry
// outside the chain committed meanwhile (an older console's, during an
// upgrade) takes the id the write would give its entry: the write still
// succeeds, and its entry takes an id after that one.
func TestWriteAfterWaitingForTheLockSkipsAnIDTakenMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := srv.NewTestDatabase(t)
	s, err := (&env{url: url}).Open(t, make([]byte, store.EncryptionKeySize))
	if err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	if _, err := store.Put(ctx, s, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "first"}}, 0); err != nil {
		t.Fatal(err)
	}

	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background()) //nolint:errcheck // a test connection, discarded either way
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // committed below unless the test fails first
	if _, err := tx.Exec(ctx, "SELECT version FROM console_meta WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	var outside int64
	if err := tx.QueryRow(ctx, `INSERT INTO activity (id, version, at, subject, origin, action, entity_type, entity_id, entity_name, namespace_id, snapshot, diff, added, removed)
		SELECT max(id) + 1, 0, 0, 'older console', 'api', 'set', 'namespace', 'x', 'x', '', '', '', 0, 0 FROM activity RETURNING id`).Scan(&outside); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	var written store.Object
	go func() {
		var err error
		written, err = store.Put(ctx, s, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "second"}}, 0)
		done <- err
	}()
	// The write waits for the lock the other connection holds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := other.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write never waited for the version lock")
		}
		select {
		case err := <-done:
			t.Fatalf("the write did not wait for the version lock: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write after waiting for the lock: %v", err)
	}
	page, err := s.Activity(ctx, store.ActivityQuery{EntityID: written.GetObjectMeta().ID})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("activity of the write: %+v, %v", page, err)
	}
	if id := page.Entries[0].ID; id <= outside {
		t.Errorf("the write's entry has id %d, want one after the entry committed meanwhile (%d)", id, outside)
	}
}
