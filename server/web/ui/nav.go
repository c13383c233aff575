package ui

// NavItem is one entry of the main navigation.
type NavItem struct{ Key, Label, Href string }

// Nav keys, one per screen.
const (
	NavNamespaces      = "namespaces"
	NavRoutes          = "routes"
	NavPolicies        = "policies"
	NavCertificates    = "certificates"
	NavServiceAccounts = "service-accounts"
	NavActivity        = "activity"
	NavSettings        = "settings"
	NavStatus          = "status"
)

var navItems = []NavItem{
	{NavNamespaces, "Namespaces", "/namespaces"},
	{NavRoutes, "Routes", "/routes"},
	{NavPolicies, "Policies", "/policies"},
	{NavCertificates, "Certificates", "/certificates"},
	{NavServiceAccounts, "Service accounts", "/service-accounts"},
	{NavActivity, "Activity", "/activity"},
	{NavSettings, "Settings", "/settings"},
	{NavStatus, "Status", "/status"},
}
