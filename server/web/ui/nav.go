package ui

// NavItem is one entry of the main navigation.
type NavItem struct {
	Key, Label, Href string
	// shown says whether a viewer gets the entry; nil: every viewer.
	shown func(*Viewer) bool
}

// For reports whether the navigation shows the entry to v.
func (n NavItem) For(v *Viewer) bool { return n.shown == nil || n.shown(v) }

// Nav keys, one per screen.
const (
	NavNamespaces      = "namespaces"
	NavRoutes          = "routes"
	NavPolicies        = "policies"
	NavCertificates    = "certificates"
	NavServiceAccounts = "service-accounts"
	NavActivity        = "activity"
	NavClusters        = "clusters"
	NavDataSources     = "data-sources"
	NavSessions        = "sessions"
	NavDevices         = "devices"
	NavSettings        = "settings"
	NavStatus          = "status"
)

var navItems = []NavItem{
	{NavNamespaces, "Namespaces", "/namespaces", nil},
	{NavRoutes, "Routes", "/routes", nil},
	{NavPolicies, "Policies", "/policies", nil},
	{NavCertificates, "Certificates", "/certificates", nil},
	{NavServiceAccounts, "Service accounts", "/service-accounts", nil},
	{NavActivity, "Activity", "/activity", nil},
	{NavClusters, "Clusters", "/clusters", (*Viewer).SeesClusters},
	{NavDataSources, "Data sources", "/data-sources", (*Viewer).ManagesDataSources},
	{NavSessions, "Sessions", "/sessions", (*Viewer).SeesSessions},
	{NavDevices, "Devices", "/devices", (*Viewer).SeesSessions},
	{NavSettings, "Settings", "/settings", nil},
	{NavStatus, "Status", "/status", nil},
}
