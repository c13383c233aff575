package reconcile

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the loop's Prometheus metrics.
type Metrics struct {
	Duration         prometheus.Histogram
	RecordsPut       prometheus.Counter
	RecordsDeleted   prometheus.Counter
	ValidationErrors prometheus.Gauge
	DriftRepaired    prometheus.Counter
	Errors           prometheus.Counter
	LeaseHeld        prometheus.Gauge
	LastSuccess      prometheus.Gauge
	Lag              prometheus.Gauge
	ViewRecords      prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns, sub = "pomerium_console", "reconcile"
	m := &Metrics{
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "duration_seconds",
			Help:    "Time of one reconcile pass: load desired state, compile, diff and write.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		RecordsPut: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "records_put_total",
			Help: "Records written to the databroker."}),
		RecordsDeleted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "records_deleted_total",
			Help: "Records tombstoned in the databroker."}),
		ValidationErrors: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "validation_errors",
			Help: "Desired objects that are invalid and therefore not written."}),
		DriftRepaired: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "drift_repaired_total",
			Help: "Records changed or deleted behind the console's back and written again."}),
		Errors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "errors_total",
			Help: "Reconcile passes that failed."}),
		LeaseHeld: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "lease_held",
			Help: "1 while this instance holds the writer lease."}),
		LastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "last_success_timestamp_seconds",
			Help: "Unix time of the end of the last successful pass."}),
		Lag: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "lag_versions",
			Help: "Store versions committed but not yet reconciled."}),
		ViewRecords: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "view_records",
			Help: "Records of the console held in the databroker, as the console sees them."}),
	}
	if reg != nil {
		reg.MustRegister(m.Duration, m.RecordsPut, m.RecordsDeleted, m.ValidationErrors, m.DriftRepaired,
			m.Errors, m.LeaseHeld, m.LastSuccess, m.Lag, m.ViewRecords)
	}
	return m
}
