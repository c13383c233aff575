package manage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/store"
)

// TokenIssuer signs the tokens of service accounts.
type TokenIssuer interface {
	IssueServiceAccountToken(ctx context.Context, sa *store.ServiceAccount) (string, error)
}

// Store is what the use cases read and write: desired state (object by
// object, and whole for exports), its history, the reconciler's findings
// and what the console knows of its callers.
type Store interface {
	store.Desired
	store.Requests
	store.Snapshots
	store.History
	store.StatusReader
	store.IdentityStore
}

// Options configure the use cases.
type Options struct {
	Store Store
	// Tokens signs service account tokens; nil refuses to create accounts
	// (a surface that does not issue tokens, such as the controllers).
	Tokens TokenIssuer
	// DefaultClusterURL is where the default cluster's databroker answers,
	// as ListClusters shows it.
	DefaultClusterURL string
	// Probe reaches a cluster's databroker with its shared secret: what
	// TestCluster asks. Nil: clusters cannot be tested.
	Probe func(ctx context.Context, c *store.Cluster) error
	// Databrokers reach each cluster's databroker for its sessions, users
	// and devices. Nil: those calls answer Unavailable.
	Databrokers Databrokers
	// Fetcher fetches a data source on request (TestDataSource), through
	// the same guard and limits as the reconciler's. Nil: data sources
	// cannot be tested.
	Fetcher *datasource.Fetcher
	// DefaultSharedSecret is the default cluster's shared secret (decoded),
	// which signs the default cluster's device enrollment links (stored
	// clusters' secrets are read from the store). Empty: the default
	// cluster's enrollments cannot be created.
	DefaultSharedSecret []byte
	// Now is the clock; nil is time.Now.
	Now    func() time.Time
	Logger logr.Logger
}

// App is the console's use cases over its desired state. It is safe for
// concurrent use.
type App struct {
	store      Store
	tokens     TokenIssuer
	defaultURL string
	probe      func(ctx context.Context, c *store.Cluster) error
	brokers    Databrokers
	fetcher    *datasource.Fetcher
	secret     []byte
	roles      rolesCache
	log        logr.Logger
	now        func() time.Time
	// beforeWrite runs between the reads a use case decides on and its
	// write: tests race other writers there.
	beforeWrite func(ctx context.Context)
}

// New returns the use cases.
func New(o Options) *App {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &App{store: o.Store, tokens: o.Tokens, defaultURL: o.DefaultClusterURL, probe: o.Probe, brokers: o.Databrokers,
		fetcher: o.Fetcher, secret: slices.Clone(o.DefaultSharedSecret), log: o.Logger, now: now}
}

// apply writes ops in one transaction on behalf of c. A refusal of the store
// is returned as the use case's, about written when it names that object.
func (a *App) apply(ctx context.Context, c *Caller, written store.Object, ops ...store.Op) ([]store.Object, error) {
	out, err := a.write(ctx, c, ops...)
	if err != nil {
		return nil, fromStore(err, written)
	}
	return out, nil
}

// write writes ops in one transaction on behalf of c, returning the
// store's own refusal.
func (a *App) write(ctx context.Context, c *Caller, ops ...store.Op) ([]store.Object, error) {
	if a.beforeWrite != nil {
		a.beforeWrite(ctx)
	}
	out, err := a.applyStore(ctx, c, ops)
	if err != nil && store.CodeOf(err) == "" {
		return nil, fmt.Errorf("write %d objects: %w", len(ops), err)
	}
	return out, err
}
