package api

import "github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"

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
	Users           dashboardpbconnect.UserServiceHandler
}

// Services returns the service implementations.
func (s *Server) Services() Services {
	return Services{
		Namespaces: &namespaces{s}, Policies: &policies{s}, Routes: &routes{s},
		Settings: &settings{s}, ServiceAccounts: &serviceAccounts{s}, Permissions: &permissions{s},
		KeyChain: &keyChain{s}, ActivityLog: &activityLog{s}, Users: &users{s},
	}
}
