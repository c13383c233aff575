package controllers_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/controllers"
	"github.com/pomerium-console/pomerium-console/store"
)

const benchRoutes = 10_000

// BenchmarkTenThousandRoutes applies 10,000 Route objects to the API server
// and times until every one is Ready with its record in the databroker,
// against the same number of routes written through the store directly
// (the controllers' overhead is the ratio) and against the API server's
// own ceiling: the time to create the same objects where no controller
// sees them (x-ceiling, the goal being 1.5 at most). It reports the peak
// RSS of the process holding the console and the controllers, and how many
// times, per Route, the route controller reconciled it and the controllers
// wrote it: figures that, unlike the times, do not move with the load of
// the machine. So do the API server's own: its CPU time per Route in each
// phase, and its requests about Routes by verb while the controllers work.
// go test -run '^$' -bench TenThousand -benchtime 1x ./controllers/
func BenchmarkTenThousandRoutes(b *testing.B) {
	for b.Loop() {
		direct := benchDirect(b)
		before := apiServerFigures(b)
		ceiling := benchCeiling(b)
		atCeiling := apiServerFigures(b).since(before)
		reconciled := counter(b, "controller_runtime_reconcile_total", "route")
		viaKube, writes := benchKubernetes(b)
		reconciled = counter(b, "controller_runtime_reconcile_total", "route") - reconciled
		withControllers := apiServerFigures(b).since(before).since(atCeiling)
		b.ReportMetric(float64(benchRoutes)/direct.Seconds(), "direct-routes/s")
		b.ReportMetric(ceiling.Seconds(), "s/api-server-ceiling")
		b.ReportMetric(float64(benchRoutes)/viaKube.Seconds(), "kubernetes-routes/s")
		b.ReportMetric(viaKube.Seconds(), "s/kubernetes")
		b.ReportMetric(viaKube.Seconds()/ceiling.Seconds(), "x-ceiling")
		b.ReportMetric(direct.Seconds()/viaKube.Seconds(), "ratio")
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-rss-MiB")
		b.ReportMetric(reconciled/benchRoutes, "reconciles/route")
		b.ReportMetric(writes/benchRoutes, "controller-writes/route")
		b.ReportMetric(1000*atCeiling.cpuSeconds/benchRoutes, "api-cpu-ms/route-ceiling")
		b.ReportMetric(1000*withControllers.cpuSeconds/benchRoutes, "api-cpu-ms/route-kubernetes")
		for _, verb := range []string{"PUT", "PATCH", "GET", "LIST"} {
			b.ReportMetric(withControllers.requests[verb]/benchRoutes, "api-"+strings.ToLower(verb)+"s/route")
		}
		b.ReportMetric(withControllers.conflicts/benchRoutes, "api-conflicts/route")
	}
}

// ceilingNamespace is where the benchmark creates Route objects that no
// controller sees: what the API server takes alone.
const ceilingNamespace = "ceiling"

// createRoutes creates the benchmark's Route objects in ns from 16
// clients.
func createRoutes(b *testing.B, ns, prefix string) {
	ctx, c := b.Context(), newClient(b)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < benchRoutes; i += 16 {
				r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("r-%d", i), Namespace: ns}, Spec: v1alpha1.RouteSpec{
					Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: fmt.Sprintf("https://%s-%d.example.com", prefix, i), To: []string{"https://upstream.internal"}}}
				if err := c.Create(ctx, r); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchCeiling creates the Route objects where no controller sees them:
// the API server's own pace, which the controllers can at best approach.
func benchCeiling(b *testing.B) time.Duration {
	ns := kubeNamespace(b, ceilingNamespace)
	start := time.Now()
	createRoutes(b, ns, "ceiling")
	return time.Since(start)
}

// benchDirect writes the routes through the store and waits for the
// reconcile loop to have written them.
func benchDirect(b *testing.B) time.Duration {
	ctx := b.Context()
	start := time.Now()
	for done := 0; done < benchRoutes; done += 1000 {
		ops := make([]store.Op, 0, 1000)
		for i := done; i < done+1000; i++ {
			ops = append(ops, &store.PutOp{Object: &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: fmt.Sprintf("direct-%d", i)},
				Spec: &configpb.Route{From: fmt.Sprintf("https://direct-%d.example.com", i), To: []string{"https://upstream.internal"}}}})
		}
		if _, err := world.store.Apply(ctx, store.Actor{Subject: "bench", Origin: store.OriginAPI}, ops...); err != nil {
			b.Fatal(err)
		}
	}
	version, err := world.store.Version(ctx)
	if err != nil {
		b.Fatal(err)
	}
	eventually(b, "the loop to write the routes", func() (bool, string) {
		h, err := world.store.Health(ctx)
		return err == nil && len(h) > 0 && h[0].SyncedVersion >= version, describe(h)
	})
	return time.Since(start)
}

// benchKubernetes creates the Route objects from 16 clients, in a
// namespace where the shipped finalizer policy applies, and waits for all
// of them to be Ready; it returns that time and how many times the
// controllers wrote the objects (every change a watch saw after their
// creation).
func benchKubernetes(b *testing.B) (time.Duration, float64) {
	ctx := b.Context()
	// As installed on Kubernetes 1.36 or later: the API server gives each
	// Route its finalizer.
	ns := withFinalizerPolicy(b, "bench")
	s, err := controllers.NewScheme()
	if err != nil {
		b.Fatal(err)
	}
	wc, err := client.NewWithWatch(kube.Config, client.Options{Scheme: s})
	if err != nil {
		b.Fatal(err)
	}
	w, err := wc.Watch(ctx, &v1alpha1.RouteList{}, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	done := make(chan struct{})
	var writes float64
	start := time.Now()
	go func() {
		defer close(done)
		readyNames := map[string]bool{}
		for ev := range w.ResultChan() {
			r, ok := ev.Object.(*v1alpha1.Route)
			if !ok || ev.Type != watch.Modified {
				continue
			}
			writes++
			if c := ready(r.Status); c != nil && c.Status == metav1.ConditionTrue {
				readyNames[r.Name] = true
			}
			if len(readyNames) == benchRoutes {
				return
			}
		}
	}()
	createRoutes(b, ns, "kube")
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		b.Fatal("not every Route Ready within 10 minutes")
	}
	return time.Since(start), writes
}

// apiServerWork is what the API server did for the benchmark's Routes: its
// CPU time (all of it, Routes or not) and its requests about Routes by
// verb, and how many of them it refused with a conflict.
type apiServerWork struct {
	cpuSeconds float64
	requests   map[string]float64
	conflicts  float64
}

func (w apiServerWork) since(earlier apiServerWork) apiServerWork {
	d := apiServerWork{cpuSeconds: w.cpuSeconds - earlier.cpuSeconds, requests: map[string]float64{}, conflicts: w.conflicts - earlier.conflicts}
	for verb, n := range w.requests {
		d.requests[verb] = n - earlier.requests[verb]
	}
	return d
}

// apiServerFigures reads the API server's own metrics: the measure of the
// work the controllers cause it, beside the time, which on a machine of two
// cores the API server, etcd and the console share.
func apiServerFigures(b *testing.B) apiServerWork {
	raw, err := kubernetes.NewForConfigOrDie(kube.Config).RESTClient().Get().AbsPath("/metrics").DoRaw(b.Context())
	if err != nil {
		b.Fatalf("read the API server's metrics: %v", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		b.Fatalf("parse the API server's metrics: %v", err)
	}
	w := apiServerWork{requests: map[string]float64{}}
	if f := families["process_cpu_seconds_total"]; f != nil && len(f.GetMetric()) == 1 {
		w.cpuSeconds = f.GetMetric()[0].GetCounter().GetValue()
	} else {
		b.Fatal("the API server's metrics have no process_cpu_seconds_total")
	}
	for _, m := range families["apiserver_request_total"].GetMetric() {
		if !labelIs(m, "resource", "routes") {
			continue
		}
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		w.requests[labels["verb"]] += m.GetCounter().GetValue()
		if labels["code"] == "409" {
			w.conflicts += m.GetCounter().GetValue()
		}
	}
	return w
}

// peakRSS is this process's peak resident set (VmHWM), in bytes.
func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
