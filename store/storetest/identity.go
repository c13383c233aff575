package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

func testIdentity(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "SecretCreatedOnceAndSealed", newEnv, func(t *testing.T, f *fixture) {
		before := f.snapshot()
		calls := 0
		gen := func(v string) func() ([]byte, error) {
			return func() ([]byte, error) { calls++; return []byte(v), nil }
		}
		first, err := f.s.Secret(f.ctx, "token-key", gen("first"))
		if err != nil || string(first) != "first" {
			t.Fatalf("first use = %q, %v", first, err)
		}
		again, err := f.s.Secret(f.ctx, "token-key", gen("second"))
		if err != nil || string(again) != "first" || calls != 1 {
			t.Fatalf("second use = %q, %v after %d generations; want the first value, generated once", again, err, calls)
		}
		f.unchanged(before) // secrets are not desired state
		f.reopen(testKey)
		if v, err := f.s.Secret(f.ctx, "token-key", gen("third")); err != nil || string(v) != "first" {
			t.Fatalf("after a restart = %q, %v", v, err)
		}
		if _, err := f.s.Secret(f.ctx, "broken", func() ([]byte, error) { return nil, errors.New("no entropy") }); err == nil {
			t.Fatal("a failing generator gave no error")
		}
		if _, err := f.s.Secret(f.ctx, " ", gen("x")); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("empty name: %v, want an invalid-argument error", err)
		}
	})
	subtest(t, "ServiceAccountAccess", newEnv, func(t *testing.T, f *fixture) {
		early := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		late := early.Add(time.Hour)
		for _, at := range []time.Time{late, early} {
			if err := f.s.TouchServiceAccount(f.ctx, "sa-1", at); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.s.ServiceAccountAccess(f.ctx, "sa-1", "sa-2")
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "access", map[string]time.Time{"sa-1": late}, got)
	})
	subtest(t, "Users", newEnv, func(t *testing.T, f *fixture) {
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		users := []store.User{
			{ID: "u1", Email: "alice@example.com", Name: "Alice", Groups: []string{"admins", "dev"}, SeenAt: at},
			{ID: "u2", Email: "bob@example.com", Name: "Bob", Groups: []string{}, SeenAt: at},
		}
		for _, u := range users {
			if err := f.s.RecordUser(f.ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		users[1].Name = "Robert"
		if err := f.s.RecordUser(f.ctx, users[1]); err != nil {
			t.Fatal(err)
		}
		got, total, err := f.s.Users(f.ctx, store.UserQuery{})
		if err != nil || total != 2 {
			t.Fatalf("users: %d, %v", total, err)
		}
		assertEqual(t, "users", users, got)
		got, total, err = f.s.Users(f.ctx, store.UserQuery{Query: "ROB"})
		if err != nil || total != 1 || got[0].ID != "u2" {
			t.Fatalf("query ROB: %v (%d), %v", got, total, err)
		}
		got, total, err = f.s.Users(f.ctx, store.UserQuery{Limit: 1, Offset: 1})
		if err != nil || total != 2 || len(got) != 1 || got[0].ID != "u2" {
			t.Fatalf("second page: %v (%d), %v", got, total, err)
		}
		if err := f.s.RecordUser(f.ctx, store.User{}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("user without id: %v, want an invalid-argument error", err)
		}
	})
}
