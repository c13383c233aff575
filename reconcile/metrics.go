package reconcile

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are one loop's Prometheus metrics.
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
	Resyncs          prometheus.Counter
	BulkQueue        prometheus.Gauge
}

// FleetMetrics are the metrics of every loop of a fleet, labelled cluster
// (the cluster's name).
type FleetMetrics struct {
	duration                                                           *prometheus.HistogramVec
	put, deleted, repaired, errors, resyncs                            *prometheus.CounterVec
	invalid, leaseHeld, lastSuccess, lag, viewRecords, bulkQueue, info *prometheus.GaugeVec
}

const metricsNamespace, metricsSubsystem = "pomerium_console", "reconcile"

// NewFleetMetrics creates the metrics and registers them with reg (nil:
// not registered).
func NewFleetMetrics(reg prometheus.Registerer) *FleetMetrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: name, Help: help}, []string{"cluster"})
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: name, Help: help}, append([]string{"cluster"}, labels...))
	}
	m := &FleetMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: "duration_seconds",
			Help:    "Time of one reconcile pass: read what changed of desired state, compile, diff and write.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"cluster"}),
		put:         counter("records_put_total", "Records written to the databroker."),
		deleted:     counter("records_deleted_total", "Records tombstoned in the databroker."),
		repaired:    counter("drift_repaired_total", "Records changed or deleted behind the console's back and written again."),
		errors:      counter("errors_total", "Reconcile passes that failed, and attempts to reach the databroker that failed."),
		invalid:     gauge("validation_errors", "Desired objects of the cluster that are invalid and therefore not written."),
		leaseHeld:   gauge("lease_held", "1 while this instance holds the cluster's writer lease."),
		lastSuccess: gauge("last_success_timestamp_seconds", "Unix time of the end of the last successful pass."),
		lag:         gauge("lag_versions", "Store versions committed but not yet reconciled."),
		viewRecords: gauge("view_records", "Records of the console held in the cluster's databroker, as the console sees them."),
		info:        gauge("cluster_info", "1 for every cluster the console writes to, with its id.", "id"),
		resyncs:     counter("resyncs_total", "Resyncs finished: every object compared with the store and with the databroker."),
		bulkQueue:   gauge("bulk_queue_objects", "Objects a resync or a change touching many left for the next passes to check and compare, a slice at a time."),
	}
	if reg != nil {
		reg.MustRegister(m.duration, m.put, m.deleted, m.repaired, m.errors, m.invalid, m.leaseHeld, m.lastSuccess, m.lag, m.viewRecords, m.info, m.resyncs, m.bulkQueue)
	}
	return m
}

// For returns the metrics of the loop of one cluster.
func (f *FleetMetrics) For(name, id string) *Metrics {
	f.info.WithLabelValues(name, id).Set(1)
	return &Metrics{
		Duration: f.duration.WithLabelValues(name).(prometheus.Histogram), RecordsPut: f.put.WithLabelValues(name),
		RecordsDeleted: f.deleted.WithLabelValues(name), ValidationErrors: f.invalid.WithLabelValues(name),
		DriftRepaired: f.repaired.WithLabelValues(name), Errors: f.errors.WithLabelValues(name),
		LeaseHeld: f.leaseHeld.WithLabelValues(name), LastSuccess: f.lastSuccess.WithLabelValues(name),
		Lag: f.lag.WithLabelValues(name), ViewRecords: f.viewRecords.WithLabelValues(name),
		Resyncs: f.resyncs.WithLabelValues(name), BulkQueue: f.bulkQueue.WithLabelValues(name),
	}
}

// Forget drops the series of a cluster that is gone: its info series, and
// with series set those labelled with its name.
func (f *FleetMetrics) Forget(name, id string, series bool) {
	f.info.DeleteLabelValues(name, id)
	if !series {
		return
	}
	for _, v := range []interface{ DeleteLabelValues(...string) bool }{f.duration, f.put, f.deleted, f.repaired, f.errors, f.invalid, f.leaseHeld, f.lastSuccess, f.lag, f.viewRecords, f.resyncs, f.bulkQueue} {
		v.DeleteLabelValues(name)
	}
}

// NewMetrics creates the metrics of one loop alone, labelled cluster
// "default", and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return NewFleetMetrics(reg).For("default", "")
}
