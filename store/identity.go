package store

import (
	"context"
	"time"
)

// IdentityStore keeps what the console learns about the people and programs
// that call it. None of it is desired state: it is written outside the
// version sequence and the activity log, and never wakes the reconciler.
type IdentityStore interface {
	// Secret returns the console secret called name, creating it with
	// generate on first use. Secrets are sealed at rest with the store's
	// encryption key; concurrent first uses all get the one value stored.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)
	// TouchServiceAccount records that a token of the service account was
	// used at t. An earlier t than the one stored is ignored.
	TouchServiceAccount(ctx context.Context, id string, t time.Time) error
	// ServiceAccountAccess returns when each of the service accounts last
	// used a token; accounts that never did are missing from the map.
	ServiceAccountAccess(ctx context.Context, ids ...string) (map[string]time.Time, error)
	// RecordUser stores (or refreshes) a user who signed in.
	RecordUser(ctx context.Context, u User) error
	// Users returns a page of the users who signed in, matching q.
	Users(ctx context.Context, q UserQuery) ([]User, int, error)
}

// User is someone who signed in to the console.
type User struct {
	// ID is the identity provider's subject.
	ID     string
	Email  string
	Name   string
	Groups []string
	SeenAt time.Time
}

// UserQuery selects users.
type UserQuery struct {
	// IDs restricts the result to these users.
	IDs []string
	// Query is a case-insensitive substring of the id, email or name.
	Query  string
	Offset int
	// Limit caps the page; <= 0 means 100.
	Limit int
}
