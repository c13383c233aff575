package api

import (
	"context"

	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

// Services are the implementations behind Handler, for a surface in the same
// process (the web console) to call directly. A call needs the caller in its
// context (auth.WithPrincipal) and gets the same checks, validation and
// activity logging as through the network; WithOrigin names the surface.
type Services struct {
	Namespaces      dashboardpbconnect.NamespaceServiceHandler
	Policies        dashboardpbconnect.PolicyServiceHandler
	Routes          dashboardpbconnect.RouteServiceHandler
	Settings        dashboardpbconnect.SettingsServiceHandler
	ServiceAccounts dashboardpbconnect.PomeriumServiceAccountServiceHandler
	Permissions     dashboardpbconnect.NamespacePermissionServiceHandler
	KeyChain        dashboardpbconnect.KeyChainServiceHandler
	ActivityLog     dashboardpbconnect.ActivityLogServiceHandler
	// History answers whether the caller may list a namespace's activity
	// log, for a surface that reads the log itself (to filter on more than
	// the service offers) under the service's rule.
	History HistoryAccess
	Users   dashboardpbconnect.UserServiceHandler
}

// HistoryAccess is the activity log's rule of who may read what.
type HistoryAccess interface {
	MayReadHistory(ctx context.Context, namespaceID string) error
	// Shown returns an entry the caller may see as it may see it: without
	// its diff when the version before is hidden from it.
	Shown(ctx context.Context, e *store.ActivityEntry) (*store.ActivityEntry, error)
}

// Services returns the service implementations.
func (s *Server) Services() Services {
	return Services{
		Namespaces: &namespaces{s}, Policies: &policies{s}, Routes: &routes{s},
		Settings: &settings{s}, ServiceAccounts: &serviceAccounts{s}, Permissions: &permissions{s},
		KeyChain: &keyChain{s}, ActivityLog: &activityLog{s}, History: &activityLog{s}, Users: &users{s},
	}
}

// MayReadHistory reports whether the caller in ctx may list the activity
// log of a namespace (every namespace for ""), with the error
// ListActivityLogEntries would answer.
func (s *activityLog) MayReadHistory(ctx context.Context, namespaceID string) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if err := s.app.MayReadActivity(ctx, c, namespaceID); err != nil {
		return s.fail(ctx, err, at{})
	}
	return nil
}

// Shown returns an entry the caller in ctx may see as it may see it.
func (s *activityLog) Shown(ctx context.Context, e *store.ActivityEntry) (*store.ActivityEntry, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	shown, err := s.app.Shown(ctx, c, e)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return shown, nil
}
