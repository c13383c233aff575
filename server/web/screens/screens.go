package screens

import (
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/activity"
	"github.com/pomerium-console/pomerium-console/server/web/certificates"
	"github.com/pomerium-console/pomerium-console/server/web/clusters"
	"github.com/pomerium-console/pomerium-console/server/web/datasources"
	"github.com/pomerium-console/pomerium-console/server/web/devices"
	"github.com/pomerium-console/pomerium-console/server/web/namespaces"
	"github.com/pomerium-console/pomerium-console/server/web/policies"
	"github.com/pomerium-console/pomerium-console/server/web/routeedit"
	"github.com/pomerium-console/pomerium-console/server/web/routes"
	"github.com/pomerium-console/pomerium-console/server/web/serviceaccounts"
	"github.com/pomerium-console/pomerium-console/server/web/sessions"
	"github.com/pomerium-console/pomerium-console/server/web/settings"
	"github.com/pomerium-console/pomerium-console/server/web/status"
)

// All returns every screen of the console.
func All() []web.Screen {
	return []web.Screen{
		certificates.Register,
		serviceaccounts.Register,
		namespaces.Register,
		policies.Register,
		routes.Register,
		routeedit.Register,
		activity.Register,
		clusters.Register,
		datasources.Register,
		sessions.Register,
		devices.Register,
		settings.Register,
		status.Register,
	}
}
