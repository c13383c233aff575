package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// testChain checks the activity log's hash chain: every append chains,
// also from concurrent writers and other processes, and a change made to
// the database behind the store's back is named by the verification.
func testChain(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "ChainsEveryEntry", newEnv, func(t *testing.T, f *fixture) {
		chainEntries(t, f, 5)
		if err := f.s.Note(f.ctx, apiActor, store.Note{Action: store.ActionSignOut, EntityType: store.EntitySession,
			EntityID: "session-1", NamespaceID: store.GlobalNamespaceID}); err != nil {
			t.Fatal(err)
		}
		entries := chainOf(t, f)
		prev := store.GenesisHash
		for i, e := range entries {
			if e.Seq != int64(i+1) || !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Hash, store.ChainHash(prev, e)) {
				t.Fatalf("entry %d: position %d, previous hash %x, hash %x; want position %d chained to %x", e.ID, e.Seq, e.PrevHash, e.Hash, i+1, prev)
			}
			prev = e.Hash
		}
		res := verifyChain(t, f, store.ChainPoint{})
		last := entries[len(entries)-1]
		if res.Break != nil || res.Checked != int64(len(entries)) || res.Verified.Seq != last.Seq || !bytes.Equal(res.Head.Hash, last.Hash) {
			t.Fatalf("verify = %+v (break %v), want %d entries up to %d", res, res.Break, len(entries), last.Seq)
		}
		// Again from where it stood: nothing new to check, and intact.
		again := verifyChain(t, f, res.Verified)
		if again.Break != nil || again.Checked != 0 || again.Verified.Seq != last.Seq {
			t.Fatalf("verify from %d = %+v (break %v)", res.Verified.Seq, again, again.Break)
		}
	})
	subtest(t, "ConcurrentWriters", newEnv, func(t *testing.T, f *fixture) {
		other := f.open(testKey) // another process on the same storage
		const writers, each = 6, 8
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for i := range writers {
			s := f.s
			if i%2 == 1 {
				s = other
			}
			wg.Go(func() {
				for j := range each {
					if _, err := s.Apply(f.ctx, apiActor, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, fmt.Sprintf("w%d-%d", i, j))}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		res := verifyChain(t, f, store.ChainPoint{})
		if res.Break != nil || res.Verified.Seq != writers*each+1 {
			t.Fatalf("verify after %d concurrent writes = %+v (break %v), want %d entries", writers*each, res, res.Break, writers*each+1)
		}
	})
	t.Run("Tampering", func(t *testing.T) { t.Parallel(); testChainTampering(t, newEnv) })
	subtest(t, "OlderConsole", newEnv, testChainLegacy)
	subtest(t, "Backup", newEnv, func(t *testing.T, f *fixture) { testChainBackup(t, f, newEnv) })
}

// chainEntries writes n policies, one entry each, after the Global
// namespace's.
func chainEntries(t *testing.T, f *fixture, n int) {
	t.Helper()
	for i := range n {
		put(f, newPolicy(store.GlobalNamespaceID, fmt.Sprintf("chain-%d", i)))
	}
}

// chainOf reads the whole log, oldest first.
func chainOf(t *testing.T, f *fixture) []*store.ActivityEntry {
	t.Helper()
	return activity(t, f, store.ActivityQuery{Ascending: true, Limit: 1000}).Entries
}

func verifyChain(t *testing.T, f *fixture, from store.ChainPoint, anchors ...store.ChainPoint) *store.ChainResult {
	t.Helper()
	res, err := f.s.VerifyActivity(f.ctx, store.NewChainVerifier(from, anchors...))
	if err != nil {
		t.Fatalf("verify activity: %v", err)
	}
	return res
}

func pointOf(e *store.ActivityEntry) store.ChainPoint {
	return store.ChainPoint{Seq: e.Seq, EntryID: e.ID, Hash: e.Hash}
}

// testChainTampering changes the database directly, as its administrator
// could, and wants each change named: its kind and the entry.
func testChainTampering(t *testing.T, newEnv newEnvFunc) {
	type tamper struct {
		name string
		// change tampers with the log of six entries (positions 1-6);
		// from, when set, is where the verification starts.
		change  func(f *fixture, e []*store.ActivityEntry) (from *store.ActivityEntry, anchors []store.ChainPoint)
		kind    store.BreakKind
		seq     int
		entryAt int // the position of the entry named (0: none)
		entryID int64
	}
	cases := []tamper{
		{name: "FieldUpdated", kind: store.BreakAltered, seq: 3, entryAt: 3,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				f.env.Exec(f.t, "UPDATE activity SET subject = $1 WHERE id = $2", "mallory@example.com", e[2].ID)
				return nil, nil
			}},
		{name: "RowDeleted", kind: store.BreakRemoved, seq: 3,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				f.env.Exec(f.t, "DELETE FROM activity WHERE id = $1", e[2].ID)
				return nil, nil
			}},
		{name: "LastRowDeleted", kind: store.BreakRemoved, seq: 6,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				f.env.Exec(f.t, "DELETE FROM activity WHERE id = $1", e[5].ID)
				return nil, nil
			}},
		{name: "ForgedRowWithoutPosition", kind: store.BreakInserted, entryID: 1000,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				forge(f, 1000, nil, nil, nil)
				return nil, nil
			}},
		{name: "ForgedRowAfterHead", kind: store.BreakInserted, seq: 7, entryID: 1000,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				forged := &store.ActivityEntry{ID: 1000, Seq: 7, Subject: "mallory@example.com", Time: e[5].Time}
				forge(f, 1000, &forged.Seq, e[5].Hash, store.ChainHash(e[5].Hash, forged))
				return nil, nil
			}},
		// The entry named is the one found at position 2: since the swap,
		// it bears the id of the entry at position 4.
		{name: "Reordered", kind: store.BreakReordered, seq: 2, entryAt: 4,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				// Entries 2 and 4 swap ids, and so places in the log as
				// readers see it.
				f.env.Exec(f.t, "UPDATE activity SET id = $1 WHERE id = $2", -1, e[1].ID)
				f.env.Exec(f.t, "UPDATE activity SET id = $1 WHERE id = $2", e[1].ID, e[3].ID)
				f.env.Exec(f.t, "UPDATE activity SET id = $1 WHERE id = $2", e[3].ID, -1)
				return nil, nil
			}},
		{name: "ReplacedAndRehashed", kind: store.BreakInserted, seq: 4, entryAt: 4,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				// A forger who knows the encoding rehashes the entry it
				// changed: the next entry no longer chains to it.
				changed := *e[2]
				changed.Subject = "mallory@example.com"
				f.env.Exec(f.t, "UPDATE activity SET subject = $1, hash = $2 WHERE id = $3", changed.Subject, store.ChainHash(changed.PrevHash, &changed), changed.ID)
				return nil, nil
			}},
		{name: "RewrittenPastAnAnchor", kind: store.BreakAnchor, seq: 4, entryAt: 4,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				anchor := pointOf(e[3])
				rewriteFrom(f, e, 2)
				return nil, []store.ChainPoint{{Seq: anchor.Seq, Hash: anchor.Hash}}
			}},
		{name: "ChangedSinceVerified", kind: store.BreakAltered, seq: 5, entryAt: 5,
			change: func(f *fixture, e []*store.ActivityEntry) (*store.ActivityEntry, []store.ChainPoint) {
				rewriteFrom(f, e, 2)
				return e[4], nil
			}},
	}
	for _, c := range cases {
		subtest(t, c.name, newEnv, func(t *testing.T, f *fixture) {
			chainEntries(t, f, 5)
			entries := chainOf(t, f)
			if len(entries) != 6 {
				t.Fatalf("%d entries, want 6", len(entries))
			}
			from, anchors := c.change(f, entries)
			start := store.ChainPoint{}
			if from != nil {
				start = pointOf(from)
			}
			res := verifyChain(t, f, start, anchors...)
			b := res.Break
			if b == nil {
				t.Fatalf("verify after tampering = %+v, want a break", res)
			}
			want := c.entryID
			if c.entryAt > 0 {
				want = entries[c.entryAt-1].ID
			}
			if b.Kind != c.kind || b.Seq != int64(c.seq) || b.EntryID != want {
				t.Fatalf("break = %s at position %d naming entry %d (%s), want %s at %d naming entry %d", b.Kind, b.Seq, b.EntryID, b.Detail, c.kind, c.seq, want)
			}
			if res.Verified.Seq >= int64(max(c.seq, 1)) && c.kind != store.BreakInserted {
				t.Errorf("verified up to %d, past the break at %d", res.Verified.Seq, c.seq)
			}
		})
	}
	subtest(t, "RewrittenWithHead", newEnv, func(t *testing.T, f *fixture) {
		// What the chain cannot show alone: a forger who rewrites every
		// entry from some point on and the head. Only an anchor does
		// (RewrittenPastAnAnchor).
		chainEntries(t, f, 5)
		rewriteFrom(f, chainOf(t, f), 2)
		if res := verifyChain(t, f, store.ChainPoint{}); res.Break != nil {
			t.Fatalf("a consistent rewrite verified as broken: %v", res.Break)
		}
	})
}

// forge inserts an entry by SQL, with the position and hashes given (nil:
// none).
func forge(f *fixture, id int64, seq *int64, prev, hash []byte) {
	var chained []any
	if seq == nil {
		chained = []any{nil, nil, nil}
	} else {
		chained = []any{*seq, prev, hash}
	}
	f.env.Exec(f.t, `INSERT INTO activity (id, version, at, subject, origin, action, entity_type, entity_id, entity_name,
		namespace_id, snapshot, diff, added, removed, seq, prev_hash, hash)
		VALUES ($1, 1, 0, 'mallory@example.com', 'api', 'set', 'policy', 'p', 'p', $2, '', '', 0, 0, $3, $4, $5)`,
		id, store.GlobalNamespaceID, chained[0], chained[1], chained[2])
}

// rewriteFrom changes the subject of every entry from position seq on and
// chains them again, head included, as a forger who knows the encoding
// would.
func rewriteFrom(f *fixture, entries []*store.ActivityEntry, seq int) {
	prev := entries[seq-2].Hash
	for _, e := range entries[seq-1:] {
		changed := *e
		changed.Subject = "mallory@example.com"
		changed.PrevHash = prev
		changed.Hash = store.ChainHash(prev, &changed)
		f.env.Exec(f.t, "UPDATE activity SET subject = $1, prev_hash = $2, hash = $3 WHERE id = $4", changed.Subject, prev, changed.Hash, e.ID)
		prev = changed.Hash
	}
	f.env.Exec(f.t, "UPDATE activity_chain SET hash = $1 WHERE id = 1", prev)
}

// testChainLegacy takes the log back to what a console that kept no chain
// left (no positions, the head at the start), and wants the next start to
// chain it exactly as it had been: the chain depends on the entries alone.
func testChainLegacy(t *testing.T, f *fixture) {
	chainEntries(t, f, 4)
	before := chainOf(t, f)
	f.env.Exec(f.t, "UPDATE activity SET seq = NULL, prev_hash = NULL, hash = NULL")
	f.env.Exec(f.t, "UPDATE activity_chain SET seq = 0, entry_id = 0, hash = $1, legacy_through = $2", store.GenesisHash, before[len(before)-1].ID)
	if res := verifyChain(t, f, store.ChainPoint{}); res.Break == nil || res.Break.Kind != store.BreakInserted {
		t.Fatalf("unchained entries verified as %+v, want them named as inserted", res)
	}
	f.reopen(testKey)
	after := chainOf(t, f)
	for i := range before {
		if after[i].Seq != before[i].Seq || !bytes.Equal(after[i].Hash, before[i].Hash) {
			t.Fatalf("entry %d chained at start as %d %x, want %d %x", after[i].ID, after[i].Seq, after[i].Hash, before[i].Seq, before[i].Hash)
		}
	}
	put(f, newPolicy(store.GlobalNamespaceID, "after-upgrade"))
	if res := verifyChain(t, f, store.ChainPoint{}); res.Break != nil || res.Verified.Seq != int64(len(before)+1) {
		t.Fatalf("verify after the upgrade = %+v (break %v)", res, res.Break)
	}
}

// testChainBackup restores a backup, and one in the format of a console
// that kept no chain, and wants each restored log to verify with the same
// head, and the next entry to chain after it.
func testChainBackup(t *testing.T, f *fixture, newEnv newEnvFunc) {
	chainEntries(t, f, 3)
	head := verifyChain(t, f, store.ChainPoint{}).Head
	var buf bytes.Buffer
	if _, err := f.s.Backup(f.ctx, &buf, store.BackupOptions{Activity: true}); err != nil {
		t.Fatal(err)
	}
	for name, backup := range map[string][]byte{"current": buf.Bytes(), "older console": withoutChain(t, buf.Bytes())} {
		to := &fixture{t: t, ctx: f.ctx, env: newEnv(t)}
		to.s = to.open(testKey)
		if _, err := to.s.Restore(f.ctx, bytes.NewReader(backup)); err != nil {
			t.Fatalf("restore the %s backup: %v", name, err)
		}
		res := verifyChain(t, to, store.ChainPoint{})
		if res.Break != nil || res.Verified.Seq != head.Seq || !bytes.Equal(res.Head.Hash, head.Hash) {
			t.Fatalf("chain restored from the %s backup = %+v (break %v), want head %s", name, res, res.Break, head)
		}
		put(to, newPolicy(store.GlobalNamespaceID, "after-restore"))
		anchor := store.ChainPoint{Seq: head.Seq, Hash: head.Hash}
		if res := verifyChain(t, to, store.ChainPoint{}, anchor); res.Break != nil || res.Verified.Seq != head.Seq+1 {
			t.Fatalf("chain after a write to the store restored from the %s backup = %+v (break %v)", name, res, res.Break)
		}
	}
}

// withoutChain rewrites a backup as a console that kept no chain wrote
// it: the log's entries without their chain columns, no chain head.
func withoutChain(t *testing.T, backup []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for i, line := range bytes.Split(bytes.TrimSuffix(backup, []byte("\n")), []byte("\n")) {
		var l map[string]any
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		switch {
		case i == 0:
			tables := l["tables"].(map[string]any)
			delete(tables, "activity_chain")
			cols := tables["activity"].([]any)
			tables["activity"] = cols[:len(cols)-3]
		case l["table"] == "activity_chain":
			continue
		case l["table"] == "activity":
			row := l["row"].([]any)
			l["row"] = row[:len(row)-3]
		case l["end"] != nil:
			delete(l["end"].(map[string]any), "activity_chain")
		}
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(b, '\n'))
	}
	return out.Bytes()
}
