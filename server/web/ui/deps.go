package ui

import (
	"context"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/manage"
)

// Databroker is what the status page asks the databroker.
type Databroker interface {
	ServerInfo(ctx context.Context) (*pb.ServerInfoResponse, error)
}

// ActivityChain is what the status page shows of the activity log's hash
// chain: the verdict of its last verification by this process.
type ActivityChain interface {
	State() manage.ChainState
}

// Deps is what a screen is built from.
type Deps struct {
	// App is the use cases: every read of desired state and every change
	// goes through them, as the viewer's Caller, so that roles,
	// validation, secrets and the activity log are decided there alone.
	App    *manage.App
	Chrome *Chrome
	// Health is read by the status page alone.
	Health HealthReader
	// Databroker is nil when the console runs without one (tests of pages
	// that do not need it).
	Databroker Databroker
	// ActivityChain is nil where nothing verifies the chain (tests of
	// pages that do not need it).
	ActivityChain ActivityChain
	Log           logr.Logger
}
