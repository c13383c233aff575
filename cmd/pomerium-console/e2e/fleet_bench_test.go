package e2e

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

var (
	fleetClusters = flag.Int("fleet-clusters", 10, "clusters of the fleet benchmark, the default one included")
	fleetRoutes   = flag.Int("fleet-routes", 10000, "routes per cluster of the fleet benchmark")
	fleetEdits    = flag.Int("fleet-edits", 200, "edits timed per measurement of the fleet benchmark")
)

// fleetMember is one cluster of the benchmark and its databroker.
type fleetMember struct {
	name, id, url string
	secret        []byte
	server        *memory.Server // nil for the default cluster, on Pomerium's own
	client        *databroker.Client
}

// BenchmarkFleet runs the built console against a fleet: the default
// cluster on Pomerium v0.33.0's databroker and the others on embedded
// databrokers over sockets, each given its routes by `import --cluster`
// while serve is stopped. It reports the cold reconcile of every cluster
// from serve's start, edit→Sync latency in one cluster (a SetRoute of the
// API until the record arrives on a Sync stream of that cluster's
// databroker) with every cluster up and then with another cluster's
// databroker stopped, and serve's peak RSS.
// Run it once: go test -run '^$' -bench Fleet -benchtime 1x ./cmd/pomerium-console/e2e/
func BenchmarkFleet(b *testing.B) {
	pomerium.Exclusive(b)
	ctx := b.Context()
	c := startConsole(b, embeddedStore)
	conn := c.grpcConn(c.adminToken())
	clusters := pb.NewClustersServiceClient(conn)
	members := []*fleetMember{{name: "default", id: store.DefaultClusterID, url: pomerium.URL(), secret: pomerium.SharedSecret()}}
	for i := 1; i < *fleetClusters; i++ {
		m := &fleetMember{name: fmt.Sprintf("c%02d", i), secret: fmt.Appendf(nil, "fleet-benchmark-secret-%09d", i)}
		m.server = memory.New(memory.Options{SharedSecret: m.secret, Logger: logr.Discard()})
		addr, err := m.server.Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(m.server.Stop)
		m.url = "http://" + addr.String()
		res, err := clusters.AddCluster(ctx, &pb.AddClusterRequest{Cluster: &pb.Cluster{Name: m.name, DatabrokerServiceUrl: m.url, SharedSecret: m.secret}})
		if err != nil {
			b.Fatal(err)
		}
		m.id = res.Cluster.Id
		members = append(members, m)
	}
	for _, m := range members {
		var err error
		if m.client, err = databroker.Dial(databroker.Options{URL: m.url, SharedSecret: m.secret, Logger: logr.Discard()}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = m.client.Close() })
	}
	// The routes go in while serve is stopped, so that its start is a cold
	// reconcile of every cluster.
	if err := c.stop(); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for _, m := range members {
		path := filepath.Join(dir, m.name+".yaml")
		writeRoutes(b, path, m.name, *fleetRoutes)
		c.run("import", "--cluster", m.name, "--log-level", "error", path)
	}
	for b.Loop() {
		start := time.Now()
		c.launch()
		total := *fleetRoutes * len(members)
		waitMetrics(b, c, func(ms map[string]map[string]float64) bool {
			for _, m := range members {
				if ms["pomerium_console_reconcile_view_records"][m.name] < float64(*fleetRoutes) {
					return false
				}
			}
			return true
		})
		cold := time.Since(start)
		waitMetrics(b, c, func(ms map[string]map[string]float64) bool {
			for _, m := range members {
				if ms["pomerium_console_reconcile_last_success_timestamp_seconds"][m.name] <= 0 {
					return false
				}
			}
			return true
		})
		firstPass := time.Since(start)
		b.ReportMetric(cold.Seconds(), "s/all-records-in")
		b.ReportMetric(firstPass.Seconds(), "s/first-pass-done")
		b.ReportMetric(float64(total)/cold.Seconds(), "records/s")

		routes := pb.NewRouteServiceClient(conn)
		edited := members[1]
		p50, p99 := editLatency(b, routes, edited)
		b.ReportMetric(p50, "ms/edit-p50-all-up")
		b.ReportMetric(p99, "ms/edit-p99-all-up")
		down := members[len(members)-1]
		down.server.Stop()
		p50, p99 = editLatency(b, routes, edited)
		b.ReportMetric(p50, "ms/edit-p50-one-down")
		b.ReportMetric(p99, "ms/edit-p99-one-down")
		hwm, rss := procMemory(b, c.proc.Pid())
		b.ReportMetric(hwm, "MiB/serve-peak-rss")
		b.ReportMetric(rss, "MiB/serve-rss")
	}
}

// writeRoutes writes an open-source Pomerium configuration of n routes.
func writeRoutes(b *testing.B, path, cluster string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "routes:")
	for i := range n {
		fmt.Fprintf(w, "- from: https://app%d.%s.example.com\n  to: http://app%d.internal:8080\n  prefix: /\n", i, cluster, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// waitMetrics polls serve's metrics, by family and cluster, until done.
func waitMetrics(b *testing.B, c *console, done func(map[string]map[string]float64) bool) {
	deadline := time.Now().Add(15 * time.Minute)
	for {
		if ms := scrape(b, c); ms != nil && done(ms) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the fleet did not converge within 15 minutes")
		}
		time.Sleep(50 * time.Millisecond) // polling granularity of a measurement of seconds
	}
}

// scrape reads serve's reconcile metrics labelled cluster.
func scrape(b *testing.B, c *console) map[string]map[string]float64 {
	res, err := http.Get("http://" + c.metrics + "/metrics")
	if err != nil {
		return nil
	}
	defer res.Body.Close() //nolint:errcheck // read to the end below
	out := map[string]map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, `{cluster="`)
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		cluster, rest, _ := strings.Cut(rest, `"`)
		_, value, _ := strings.Cut(rest, "} ")
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		if out[name] == nil {
			out[name] = map[string]float64{}
		}
		out[name][cluster] = v
	}
	if err := sc.Err(); err != nil {
		b.Logf("read metrics: %v", err)
	}
	return out
}

// editLatency changes routes of a cluster through the API, one after the
// other, and returns the median and 99th percentile in milliseconds of
// the time from the call until the changed record arrives on a Sync stream
// of the cluster's databroker.
func editLatency(b *testing.B, routes pb.RouteServiceClient, m *fleetMember) (p50, p99 float64) {
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	seen := make(chan *dbpb.Record, 1024)
	vs, err := m.client.SyncLatest(ctx, compile.RecordTypeRoute, func(*dbpb.Record) {})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		_ = m.client.Sync(ctx, compile.RecordTypeRoute, vs, databroker.SyncHandler{Record: func(r *dbpb.Record) error { seen <- r; return nil }})
	}()
	list, err := routes.ListRoutes(ctx, &pb.ListRoutesRequest{Namespace: m.id, Limit: new(int64(*fleetEdits))})
	if err != nil || len(list.Routes) == 0 {
		b.Fatalf("list the routes of %s: %v", m.name, err)
	}
	var latencies []time.Duration
	for i := range *fleetEdits {
		r := list.Routes[i%len(list.Routes)]
		to := fmt.Sprintf("https://edit-%d-%d.internal", i, time.Now().UnixNano())
		r.To = []string{to}
		start := time.Now()
		res, err := routes.SetRoute(ctx, &pb.SetRouteRequest{Route: r})
		if err != nil {
			b.Fatal(err)
		}
		list.Routes[i%len(list.Routes)] = res.Route
		waitRoute(b, seen, r.Id, to)
		latencies = append(latencies, time.Since(start))
	}
	slices.Sort(latencies)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(latencies[len(latencies)/2]), ms(latencies[len(latencies)*99/100])
}

func waitRoute(b *testing.B, seen <-chan *dbpb.Record, id, to string) {
	deadline := time.After(time.Minute)
	for {
		select {
		case rec := <-seen:
			var r configpb.Route
			if rec.Id == id && rec.Data.UnmarshalTo(&r) == nil && slices.Equal(r.To, []string{to}) {
				return
			}
		case <-deadline:
			b.Fatalf("the edit of route %s did not arrive within a minute", id)
		}
	}
}

// procMemory reads a process's peak and current resident memory in MiB.
func procMemory(b *testing.B, pid int) (peak, now float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmHWM:":
			peak = kb / 1024
		case "VmRSS:":
			now = kb / 1024
		}
	}
	return peak, now
}
