package storetest

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

func testRequests(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "SentAgainWritesOnce", newEnv, func(t *testing.T, f *fixture) {
		key := store.RequestKey{Key: "create-app", Digest: []byte("digest of the create")}
		first, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newRoute(store.GlobalNamespaceID, "app", "https://app.example.com")})
		if err != nil {
			t.Fatalf("first attempt: %v", err)
		}
		v := f.version()
		// The retry carries another id, as a create of the use cases
		// chooses a new one each time: the key decides, not the id.
		again, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: withID(newRoute(store.GlobalNamespaceID, "app", "https://app.example.com"), uuid.NewString()), CreateOnly: true})
		if err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		if f.version() != v {
			t.Errorf("the second attempt wrote: version %d, want %d", f.version(), v)
		}
		if len(again) != 1 || again[0].GetObjectMeta().ID != first[0].GetObjectMeta().ID || again[0].GetObjectMeta().Version != first[0].GetObjectMeta().Version {
			t.Errorf("second attempt answered %v, want the first attempt's route %s at version %d", again, first[0].GetObjectMeta().ID, first[0].GetObjectMeta().Version)
		}
		page, err := f.s.List(f.ctx, store.KindRoute, store.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != 1 {
			t.Errorf("%d routes stored, want 1", page.TotalCount)
		}
	})
	subtest(t, "AnotherRequestUnderTheKey", newEnv, func(t *testing.T, f *fixture) {
		key := store.RequestKey{Key: "k", Digest: []byte("one")}
		if _, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "a")}); err != nil {
			t.Fatal(err)
		}
		v := f.version()
		key.Digest = []byte("two")
		_, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "b")})
		if store.CodeOf(err) != store.CodeInvalid || !fieldIs(err, "idempotency_key") {
			t.Errorf("another request under a used key: %v, want invalid idempotency_key", err)
		}
		if f.version() != v {
			t.Errorf("the refused request wrote: version %d, want %d", f.version(), v)
		}
	})
	subtest(t, "KeysAreTheCallers", newEnv, func(t *testing.T, f *fixture) {
		key := store.RequestKey{Key: "same", Digest: []byte("d")}
		if _, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "alice's")}); err != nil {
			t.Fatal(err)
		}
		out, err := f.s.ApplyOnce(f.ctx, uiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "bob's")})
		if err != nil {
			t.Fatalf("another caller's request under the same key: %v", err)
		}
		if got := out[0].GetObjectMeta().Name; got != "bob's" {
			t.Errorf("another caller was answered %q, want its own policy written", got)
		}
	})
	subtest(t, "RefusedWriteKeepsNoKey", newEnv, func(t *testing.T, f *fixture) {
		put(f, newPolicy(store.GlobalNamespaceID, "taken"))
		key := store.RequestKey{Key: "k", Digest: []byte("d")}
		if _, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "taken")}); store.CodeOf(err) != store.CodeAlreadyExists {
			t.Fatalf("a taken name: %v, want already exists", err)
		}
		// The refusal rolled the key back with the write: the request,
		// corrected, is a first attempt.
		out, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "free")})
		if err != nil {
			t.Fatalf("the key of a refused write, again: %v", err)
		}
		if got := out[0].GetObjectMeta().Name; got != "free" {
			t.Errorf("answered %q, want the policy written now", got)
		}
	})
	subtest(t, "DeletedSince", newEnv, func(t *testing.T, f *fixture) {
		key := store.RequestKey{Key: "k", Digest: []byte("d")}
		out, err := f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "p")})
		if err != nil {
			t.Fatal(err)
		}
		f.del(store.DeleteOp{Kind: store.KindPolicy, ID: out[0].GetObjectMeta().ID})
		_, err = f.s.ApplyOnce(f.ctx, apiActor, key, &store.PutOp{Object: newPolicy(store.GlobalNamespaceID, "p")})
		if store.CodeOf(err) != store.CodeFailedPrecondition {
			t.Errorf("sent again after its object was deleted: %v, want failed precondition", err)
		}
	})
}

func withID[T store.Object](obj T, id string) T {
	obj.GetObjectMeta().ID = id
	return obj
}

func fieldIs(err error, field string) bool {
	var se *store.Error
	return errors.As(err, &se) && se.Field == field
}
