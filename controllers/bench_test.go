package controllers_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/store"
)

const benchRoutes = 10_000

// BenchmarkTenThousandRoutes applies 10,000 Route objects to the API server
// and times until every one is Ready with its record in the databroker,
// against the same number of routes written through the store directly
// (the controllers' overhead is the ratio), and reports the peak RSS of the
// process holding the console and the controllers and how many times the
// route controller reconciled a Route, on average: a figure that, unlike
// the times, does not move with the load of the machine.
// go test -run '^$' -bench TenThousand -benchtime 1x ./controllers/
func BenchmarkTenThousandRoutes(b *testing.B) {
	for b.Loop() {
		direct := benchDirect(b)
		reconciled := counter(b, "controller_runtime_reconcile_total", "route")
		viaKube := benchKubernetes(b)
		reconciled = counter(b, "controller_runtime_reconcile_total", "route") - reconciled
		b.ReportMetric(float64(benchRoutes)/direct.Seconds(), "direct-routes/s")
		b.ReportMetric(float64(benchRoutes)/viaKube.Seconds(), "kubernetes-routes/s")
		b.ReportMetric(viaKube.Seconds(), "s/kubernetes")
		b.ReportMetric(direct.Seconds()/viaKube.Seconds(), "ratio")
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-rss-MiB")
		b.ReportMetric(reconciled/benchRoutes, "reconciles/route")
	}
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

// benchKubernetes creates the Route objects from 16 clients and waits for
// all of them to be Ready.
func benchKubernetes(b *testing.B) time.Duration {
	ctx, c := b.Context(), newClient(b)
	ns := kubeNamespace(b, "bench")
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < benchRoutes; i += 16 {
				r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("r-%d", i), Namespace: ns}, Spec: v1alpha1.RouteSpec{
					Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: fmt.Sprintf("https://kube-%d.example.com", i), To: []string{"https://upstream.internal"}}}
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
	eventually(b, "every Route Ready", func() (bool, string) {
		var list v1alpha1.RouteList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		n := 0
		for _, r := range list.Items {
			if c := ready(r.Status); c != nil && c.Status == metav1.ConditionTrue {
				n++
			}
		}
		return n == benchRoutes, fmt.Sprintf("%d of %d ready", n, benchRoutes)
	}, 10*time.Minute)
	return time.Since(start)
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
