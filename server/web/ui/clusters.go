package ui

import (
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// Health states of a cluster, as the "cluster-health" badge shows them.
const (
	HealthSynced   = "synced"
	HealthError    = "error"
	HealthUnknown  = "unknown"
	HealthDeleting = "deleting"
)

// ClusterHealth is what a cluster's reconciler last reported, as pages
// show it beside the cluster.
type ClusterHealth struct {
	// State is one of the Health states.
	State string
	// At is when the state began: the last successful pass, or the last
	// failed one.
	At time.Time
	// Error is the last error: the state's reason when it is HealthError,
	// what holds a deletion up when it is HealthDeleting.
	Error string
}

// HealthOf is the health a reconciler's report (nil before its first)
// shows; retiring marks a deleted cluster whose records the reconciler is
// still removing.
func HealthOf(h *store.Health, retiring bool) ClusterHealth {
	failing := h != nil && h.LastError != "" && h.LastErrorAt.After(h.LastSuccess)
	switch {
	case retiring && failing:
		return ClusterHealth{State: HealthDeleting, At: h.LastErrorAt, Error: h.LastError}
	case retiring:
		return ClusterHealth{State: HealthDeleting}
	case failing:
		return ClusterHealth{State: HealthError, At: h.LastErrorAt, Error: h.LastError}
	case h != nil && !h.LastSuccess.IsZero():
		return ClusterHealth{State: HealthSynced, At: h.LastSuccess}
	}
	return ClusterHealth{State: HealthUnknown}
}
