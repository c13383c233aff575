package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// testObjects covers the rules every kind shares: ids, namespaces, names,
// expected versions, timestamps and copying.
func testObjects(t *testing.T, newEnv newEnvFunc) {
	for _, k := range append([]store.Kind{store.KindNamespace}, contentKinds...) {
		subtest(t, "InvalidID/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			for _, id := range []string{"not-a-uuid", "123E4567-E89B-42D3-A456-426614174000", "{" + uuid.NewString() + "}", uuid.NewString() + " "} {
				obj := newObject(t, k, store.GlobalNamespaceID, "obj")
				obj.GetObjectMeta().ID = id
				f.rejectsPut(obj, store.CodeInvalid, "id")
			}
		})
		subtest(t, "EmptyIDCreates/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			got := put(f, newObject(t, k, store.GlobalNamespaceID, "obj"))
			if id := got.GetObjectMeta().ID; !store.ValidID(id) {
				t.Fatalf("created id %q is not a UUID", id)
			}
			if _, err := f.s.Get(f.ctx, k, got.GetObjectMeta().ID); err != nil {
				t.Errorf("get created object: %v", err)
			}
		})
		subtest(t, "UnknownIDCreates/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			id := uuid.NewString()
			obj := newObject(t, k, store.GlobalNamespaceID, "obj")
			obj.GetObjectMeta().ID = id
			if got := put(f, obj); got.GetObjectMeta().ID != id {
				t.Errorf("created id = %q, want %q", got.GetObjectMeta().ID, id)
			}
			if _, err := f.s.Get(f.ctx, k, id); err != nil {
				t.Errorf("get created object: %v", err)
			}
		})
	}
	for _, k := range contentKinds {
		subtest(t, "NamespaceRequired/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			gone := put(f, newNamespace(store.GlobalNamespaceID, "gone"))
			f.del(store.DeleteOp{Kind: store.KindNamespace, ID: gone.ID})
			for _, ns := range []string{"", uuid.NewString(), gone.ID} {
				f.rejectsPut(newObject(t, k, ns, "obj"), store.CodeInvalid, "namespace_id")
			}
		})
	}
	for _, k := range namedKinds[1:] {
		subtest(t, "NameRules/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			for _, name := range badNames {
				obj := newObject(t, k, store.GlobalNamespaceID, "obj")
				obj.GetObjectMeta().Name = name
				f.rejectsPut(obj, store.CodeInvalid, "name")
			}
			put(f, newObject(t, k, store.GlobalNamespaceID, strings.Repeat("n", store.MaxNameLength)))
		})
		subtest(t, "NameUniqueInNamespace/"+string(k), newEnv, func(t *testing.T, f *fixture) {
			ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
			first := put(f, newObject(t, k, ns.ID, "same"))
			f.rejectsPut(newObject(t, k, ns.ID, "same"), store.CodeAlreadyExists, "name")
			renamed := put(f, newObject(t, k, ns.ID, "other"))
			renamed.GetObjectMeta().Name = "same"
			f.rejectsPut(renamed, store.CodeAlreadyExists, "name")
			put(f, newObject(t, k, store.GlobalNamespaceID, "same"))
			for _, other := range namedKinds {
				if other != k {
					put(f, newObject(t, other, ns.ID, "same"))
				}
			}
			f.del(store.DeleteOp{Kind: k, ID: first.GetObjectMeta().ID})
			put(f, newObject(t, k, ns.ID, "same"))
		})
	}
	subtest(t, "CreateOnly", newEnv, func(t *testing.T, f *fixture) {
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		p.Description = "overwritten"
		f.rejects(apiActor, store.CodeAlreadyExists, "", &store.PutOp{Object: p, CreateOnly: true})
		fresh := newPolicy(store.GlobalNamespaceID, "fresh")
		fresh.ID = uuid.NewString()
		f.apply(apiActor, &store.PutOp{Object: fresh, CreateOnly: true})
	})
	subtest(t, "ExpectedVersion", newEnv, testExpectedVersion)
	subtest(t, "MissingObjects", newEnv, func(t *testing.T, f *fixture) {
		for _, k := range append([]store.Kind{store.KindNamespace}, contentKinds...) {
			id := uuid.NewString()
			f.wantNotFound(k, id)
			f.rejectsDelete(store.DeleteOp{Kind: k, ID: id}, store.CodeNotFound, "")
			obj := put(f, newObject(t, k, store.GlobalNamespaceID, "obj-"+string(k)))
			id = obj.GetObjectMeta().ID
			f.del(store.DeleteOp{Kind: k, ID: id})
			f.wantNotFound(k, id)
			f.rejectsDelete(store.DeleteOp{Kind: k, ID: id}, store.CodeNotFound, "")
		}
		// An id names an object of one kind only.
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		f.wantNotFound(store.KindRoute, p.ID)
	})
	subtest(t, "Timestamps", newEnv, testTimestamps)
	subtest(t, "PutReturnsStored", newEnv, testPutReturnsStored)
	subtest(t, "ReturnsCopies", newEnv, testCopies)
}

func testExpectedVersion(t *testing.T, f *fixture) {
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	v1 := p.Version
	p.Description = "second"
	p2, err := store.Put(f.ctx, f.s, apiActor, p, v1)
	if err != nil {
		t.Fatalf("put with current expected version: %v", err)
	}
	p.Description = "stale"
	f.rejects(apiActor, store.CodeConflict, "", &store.PutOp{Object: p, ExpectedVersion: v1})
	f.rejectsDelete(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID, ExpectedVersion: v1}, store.CodeConflict, "")

	missing := newPolicy(store.GlobalNamespaceID, "missing")
	missing.ID = uuid.NewString()
	f.rejects(apiActor, store.CodeNotFound, "", &store.PutOp{Object: missing, ExpectedVersion: v1})
	f.rejectsDelete(store.DeleteOp{Kind: store.KindPolicy, ID: missing.ID, ExpectedVersion: v1}, store.CodeNotFound, "")

	f.del(store.DeleteOp{Kind: store.KindPolicy, ID: p.ID, ExpectedVersion: p2.Version})
	f.wantNotFound(store.KindPolicy, p.ID)
}

func testTimestamps(t *testing.T, f *fixture) {
	start := time.Now()
	p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
	created := get[*store.Policy](f, p.ID)
	if created.CreatedAt.IsZero() || !created.ModifiedAt.Equal(created.CreatedAt) {
		t.Errorf("created policy has created_at %v and modified_at %v, want both set and equal", created.CreatedAt, created.ModifiedAt)
	}
	if d := created.CreatedAt.Sub(start); d < -time.Minute || d > time.Minute {
		t.Errorf("created_at %v is %v away from the clock", created.CreatedAt, d)
	}
	waitClockPast(t, created.ModifiedAt)
	edit := store.Clone(created)
	edit.Description = "changed"
	// created_at belongs to the store: a caller cannot move it.
	edit.CreatedAt = edit.CreatedAt.Add(-24 * time.Hour)
	updated := put(f, edit)
	for _, o := range []*store.Policy{updated, get[*store.Policy](f, p.ID)} {
		if !o.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("created_at after update = %v, want %v", o.CreatedAt, created.CreatedAt)
		}
		if !o.ModifiedAt.After(created.ModifiedAt) {
			t.Errorf("modified_at after update = %v, want after %v", o.ModifiedAt, created.ModifiedAt)
		}
	}
}

// testPutReturnsStored checks that what Apply returns is what a read returns,
// timestamps included: a caller compares them.
func testPutReturnsStored(t *testing.T, f *fixture) {
	for _, k := range append([]store.Kind{store.KindNamespace}, contentKinds...) {
		if k == store.KindKeyPair {
			continue // secrets are returned only on request; covered by the key pair tests
		}
		written := put(f, newObject(t, k, store.GlobalNamespaceID, "obj"))
		read, err := f.s.Get(f.ctx, k, written.GetObjectMeta().ID)
		if err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
		assertEqual(t, string(k)+" returned by the write vs read back", read, written)
	}
}

func testCopies(t *testing.T, f *fixture) {
	input := newRoute(store.GlobalNamespaceID, "r", "https://r.example.com")
	r := put(f, input)
	want := get[*store.Route](f, r.ID)

	input.Name, input.Spec.From = "input", "https://input.example.com"
	r.Name, r.Spec.From, r.Spec.To[0] = "returned", "https://returned.example.com", "https://x"
	got := get[*store.Route](f, r.ID)
	got.Name, got.Spec.From = "read", "https://read.example.com"
	list, err := f.s.List(f.ctx, store.KindRoute, store.ListQuery{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, o := range list.Objects {
		o.(*store.Route).Spec.From = "https://listed.example.com"
	}
	st, err := f.s.Load(f.ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, o := range st.Routes {
		o.Spec.From = "https://loaded.example.com"
	}
	assertEqual(t, "route after mutating copies", want, get[*store.Route](f, r.ID))

	c := newCertificate(t, "kp")
	kp := put(f, newKeyPair(store.GlobalNamespaceID, "kp", c.certPEM, c.pkcs8PEM(t)))
	wantKP := get[*store.KeyPair](f, kp.ID, store.WithSecrets())
	read := get[*store.KeyPair](f, kp.ID, store.WithSecrets())
	for i := range read.Certificate {
		read.Certificate[i] = 'x'
	}
	for i := range read.PrivateKey {
		read.PrivateKey[i] = 'x'
	}
	assertEqual(t, "key pair after mutating a copy", wantKP, get[*store.KeyPair](f, kp.ID, store.WithSecrets()))
}
