package ui

import (
	"context"

	"github.com/pomerium-console/pomerium-console/store"
)

// HealthReader is what the status page reads of the store besides the use
// cases: the version of its last write and what the reconcilers report of
// themselves. Neither is desired state, so no use case holds a rule about
// them.
type HealthReader interface {
	Version(ctx context.Context) (int64, error)
	Health(ctx context.Context) ([]store.Health, error)
}
