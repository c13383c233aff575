package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func testRestart(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "DataSurvives", newEnv, testDataSurvives)
	subtest(t, "WrongKeyRefused", newEnv, func(t *testing.T, f *fixture) {
		c := newCertificate(t, "kp")
		key := c.pkcs8PEM(t)
		kp := put(f, newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, key))
		if err := f.s.Close(); err != nil {
			t.Fatalf("close store: %v", err)
		}
		s, err := f.env.Open(t, otherKey)
		if err == nil {
			// Close what should never have opened, so that the storage is
			// free for the next open.
			if cerr := s.Close(); cerr != nil {
				t.Logf("close store opened with the wrong key: %v", cerr)
			}
		}
		if !errors.Is(err, store.ErrWrongEncryptionKey) {
			t.Errorf("open with another key: error %v, want %v", err, store.ErrWrongEncryptionKey)
		}
		f.s = f.open(testKey)
		if got := get[*store.KeyPair](f, kp.ID, store.WithSecrets()); !bytes.Equal(got.PrivateKey, key) {
			t.Errorf("private key after reopening with the right key = %q, want %q", got.PrivateKey, key)
		}
	})
}

// history is everything a restart must keep.
type history struct {
	version  int64
	state    *store.State
	changes  *store.ChangeSet
	activity *store.ActivityPage
	keys     map[string][]byte
}

func (f *fixture) history() history {
	f.t.Helper()
	snap := f.snapshot()
	h := history{version: snap.version, state: snap.state, changes: snap.changes, keys: map[string][]byte{}}
	h.activity = activity(f.t, f, store.ActivityQuery{Ascending: true, Limit: 1000})
	for _, kp := range snap.state.KeyPairs {
		h.keys[kp.ID] = get[*store.KeyPair](f, kp.ID, store.WithSecrets()).PrivateKey
	}
	return h
}

func testDataSurvives(t *testing.T, f *fixture) {
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	put(f, newSettings("debug"))
	var ops []store.Op
	for _, k := range contentKinds {
		ops = append(ops, &store.PutOp{Object: newObject(t, k, ns.ID, "obj")})
	}
	objs := f.apply(uiActor, ops...)
	p := objs[0].(*store.Policy)
	p.Description = "edited"
	put(f, p)
	f.del(store.DeleteOp{Kind: store.KindServiceAccount, ID: objs[3].GetObjectMeta().ID})

	before := f.history()
	f.reopen(testKey)
	after := f.history()

	if after.version != before.version {
		t.Errorf("version after restart = %d, want %d", after.version, before.version)
	}
	assertEqual(t, "Load after restart", before.state, after.state)
	assertEqual(t, "Changes after restart", before.changes, after.changes)
	assertEqual(t, "activity after restart", before.activity, after.activity)
	assertEqual(t, "private keys after restart", before.keys, after.keys)
	if len(after.keys) != 1 || len(after.keys[objs[2].GetObjectMeta().ID]) == 0 {
		t.Errorf("private keys after restart = %q, want the one key pair's key", after.keys)
	}
	get[*store.Namespace](f, store.GlobalNamespaceID)

	next := put(f, newPolicy(ns.ID, "after-restart"))
	if next.Version <= before.version {
		t.Errorf("first write after restart got version %d, want > %d", next.Version, before.version)
	}
}
