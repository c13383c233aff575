package datasource

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the data sources' Prometheus metrics, labelled cluster (its
// name) and source (the data source's id).
type Metrics struct {
	fetches                    *prometheus.CounterVec
	records, lastSuccess       *prometheus.GaugeVec
	recordsPut, recordsDeleted *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns, sub = "pomerium_console", "data_source"
	labels := []string{"cluster", "source"}
	m := &Metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "fetches_total",
			Help: "Fetches of external data sources, by result (success or error)."}, append(labels, "result")),
		records: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "records",
			Help: "Records of the last successful fetch."}, labels),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "last_success_timestamp_seconds",
			Help: "Unix time of the end of the last successful fetch."}, labels),
		recordsPut: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "records_put_total",
			Help: "Records of external data sources written to the databroker."}, labels),
		recordsDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "records_deleted_total",
			Help: "Records of external data sources deleted from the databroker."}, labels),
	}
	if reg != nil {
		reg.MustRegister(m.fetches, m.records, m.lastSuccess, m.recordsPut, m.recordsDeleted)
	}
	return m
}

// fetched counts a fetch of a source.
func (m *Metrics) fetched(cluster, source string, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	m.fetches.WithLabelValues(cluster, source, result).Inc()
}

// wrote records what a good fetch wrote.
func (m *Metrics) wrote(cluster, source string, records, puts, deletes int, at float64) {
	m.records.WithLabelValues(cluster, source).Set(float64(records))
	m.lastSuccess.WithLabelValues(cluster, source).Set(at)
	m.recordsPut.WithLabelValues(cluster, source).Add(float64(puts))
	m.recordsDeleted.WithLabelValues(cluster, source).Add(float64(deletes))
}

// forget drops the series of a source that is gone.
func (m *Metrics) forget(cluster, source string) {
	for _, result := range []string{"success", "error"} {
		m.fetches.DeleteLabelValues(cluster, source, result)
	}
	for _, v := range []interface{ DeleteLabelValues(...string) bool }{m.records, m.lastSuccess, m.recordsPut, m.recordsDeleted} {
		v.DeleteLabelValues(cluster, source)
	}
}
