package screens

import (
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/status"
)

// All returns every screen of the console.
func All() []web.Screen {
	return []web.Screen{
		status.Register,
	}
}
