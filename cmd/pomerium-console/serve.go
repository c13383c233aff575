package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/systemd"
)

// kubeOptions are serve's flags about Kubernetes.
type kubeOptions struct {
	kubeconfig, leaseNamespace string
}

// chainOptions are serve's flags about the activity log's hash chain.
type chainOptions struct {
	verifyEvery, anchorEvery time.Duration
}

func newServe() *cobra.Command {
	var resync time.Duration
	var kube kubeOptions
	var chain chainOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the console: the store, the reconcile loop, the API and metrics",
		Args:  cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			log.Info("starting", "version", version, "config", cfg)
			setMemoryLimit(log, memlimit.FromCgroup)
			if chain.verifyEvery <= 0 || chain.anchorEvery < 0 {
				return fmt.Errorf("--activity-verify-interval must be above 0 and --activity-anchor-interval 0 (off) or above, not %s and %s",
					chain.verifyEvery, chain.anchorEvery)
			}
			return serve(cmd.Context(), cfg, log, resync, kube, chain)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().DurationVar(&resync, "resync-interval", time.Minute, "how often the reconcile loop re-reads desired state without being woken")
	cmd.Flags().StringVar(&kube.kubeconfig, "kubeconfig", "", "run the Kubernetes controllers against this cluster (in a pod they run with the pod's service account without it)")
	cmd.Flags().DurationVar(&chain.verifyEvery, "activity-verify-interval", time.Minute,
		"how often the activity log's hash chain is verified (from the entry verified last: each pass reads what was appended since)")
	cmd.Flags().DurationVar(&chain.anchorEvery, "activity-anchor-interval", time.Hour,
		"how often the verified head of the activity log's chain is logged as an anchor for 'activity verify --anchor' (0: never)")
	cmd.Flags().StringVar(&kube.leaseNamespace, "leader-election-namespace", "", "namespace of the Lease that elects the replica running the controllers (default: the pod's namespace)")
	return cmd
}

func serve(ctx context.Context, cfg *config.Config, log logr.Logger, resync time.Duration, kube kubeOptions, chain chainOptions) error {
	kubeCfg, err := kubeConfig(kube.kubeconfig)
	if err != nil {
		return err
	}
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	client, brokerURL, stopBroker, err := databrokerClient(cfg, log)
	if err != nil {
		return err
	}
	defer stopBroker()
	defer func() {
		if err := client.Close(); err != nil {
			log.Error(err, "close databroker client")
		}
	}()
	// The console's own metrics; /metrics adds controller-runtime's.
	reg := prometheus.NewRegistry()
	host, _ := os.Hostname() // an empty host name still leaves the pid to tell instances apart
	// The reconciler's own writes of desired state: deleting for good a
	// deleted cluster whose databroker it emptied.
	system := manage.New(manage.Options{Store: st, Logger: log.WithName("manage")})
	brokerLog := log.WithName("databroker-client")
	fleet := reconcile.NewFleet(reconcile.FleetOptions{
		Store: st, Default: client, Instance: fmt.Sprintf("%s/%d", host, os.Getpid()),
		Dial: func(c *store.Cluster) (*databroker.Client, error) {
			return reconcile.DialCluster(c, brokerLog.WithValues("cluster", c.Name))
		},
		Retired: func(ctx context.Context, id string) error {
			c, err := system.System(ctx, "reconciler", store.OriginAPI)
			if err != nil {
				return err
			}
			return system.ForgetCluster(ctx, c, id)
		},
		ResyncInterval: resync, Logger: log.WithName("reconcile"), Metrics: reconcile.NewFleetMetrics(reg),
		DataSources:       datasource.NewFetcher(datasource.NewGuard(cfg.AllowedDataSourceNetworks()), datasource.Limits{}),
		DataSourceMetrics: datasource.NewMetrics(reg),
	})
	watch := manage.NewChainWatch(manage.ChainWatchOptions{Store: st, Every: chain.verifyEvery, AnchorEvery: chain.anchorEvery,
		Logger: log.WithName("activity-chain")})
	registerChainMetrics(reg, watch)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return fleet.Run(ctx) })
	g.Go(func() error { return watch.Run(ctx) })
	// Ready (/readyz) once the API and the web console listen, not before:
	// a load balancer must not send callers to a port that refuses them.
	up := &listeners{want: 2}
	g.Go(func() error { return serveSurfaces(ctx, cfg, st, client, brokerURL, fleet, watch, up, log) })
	if kubeCfg != nil {
		g.Go(func() error {
			return runControllers(ctx, kubeCfg, leaderElectionNamespace(kube.leaseNamespace), st, log.WithName("controllers"))
		})
	} else {
		log.Info("no Kubernetes configuration (not in a pod, no --kubeconfig): the Kubernetes controllers are off")
	}
	if cfg.MetricsAddr != "" {
		g.Go(func() error { return serveMetrics(ctx, cfg.MetricsAddr, reg, st, up, fleet, log) })
	}
	// Under systemd (Type=notify): ready once the store is open and the
	// loop has done its first job, watchdog pings while the loop makes
	// progress.
	if opts, ok := systemd.FromEnv(log.WithName("systemd")); ok {
		g.Go(func() error { systemd.Run(ctx, opts, fleet.Liveness()); return nil })
	}
	log.Info("console running")
	err = g.Wait()
	log.Info("shut down")
	return err
}

// databrokerClient connects to the configured databroker, or starts the
// embedded one on loopback when none is configured, and returns its URL.
func databrokerClient(cfg *config.Config, log logr.Logger) (*databroker.Client, string, func(), error) {
	url, secret := cfg.DatabrokerServiceURL, cfg.SharedSecret()
	roots, err := cfg.RootCAs()
	if err != nil {
		return nil, "", nil, err
	}
	stop := func() {}
	if url == "" {
		if len(secret) == 0 {
			secret = make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return nil, "", nil, fmt.Errorf("generate shared secret for the embedded databroker: %w", err)
			}
		}
		srv := memory.New(memory.Options{SharedSecret: secret, Logger: log.WithName("databroker")})
		addr, err := srv.Start("127.0.0.1:0")
		if err != nil {
			return nil, "", nil, fmt.Errorf("start embedded databroker: %w", err)
		}
		url, stop = "http://"+addr.String(), srv.Stop
		log.Info("embedded databroker listening (no databroker_service_url configured)", "url", url)
	}
	client, err := databroker.Dial(databroker.Options{
		URL: url, SharedSecret: secret, RootCAs: roots, Logger: log.WithName("databroker-client"),
	})
	if err != nil {
		stop()
		return nil, "", nil, err
	}
	return client, url, stop, nil
}

// listeners counts the surfaces that listen: serve is ready once all of
// them do.
type listeners struct {
	want int32
	n    atomic.Int32
}

// bound records that one more surface listens.
func (l *listeners) bound() { l.n.Add(1) }

// all reports whether every surface listens.
func (l *listeners) all() bool { return l.n.Load() >= l.want }

// serveMetrics serves /metrics and the probes (see probes) on addr.
//
// /metrics serves the console's registry and controller-runtime's global
// one: the Kubernetes controllers' reconcile counts, durations and work
// queues, and the Go runtime and process metrics, which controller-runtime
// registers there (so the console's registry must not register them again:
// one family gathered twice fails the scrape).
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, st store.Store, up *listeners, fleet clusterStates, log logr.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.Gatherers{reg, ctrlmetrics.Registry}, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("/", probes(st, up, fleet))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics_addr: %w", err)
	}
	log.Info("metrics listening", "addr", lis.Addr().String())
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Error(err, "stop metrics server")
		}
	}()
	if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// registerChainMetrics exposes what the last verification of the activity
// log's hash chain found.
func registerChainMetrics(reg prometheus.Registerer, watch *manage.ChainWatch) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pomerium_console_activity_verified_sequence",
			Help: "The last position of the activity log's hash chain verified intact (0 before the first verification).",
		}, func() float64 { return float64(watch.State().Verified.Seq) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pomerium_console_activity_chain_broken",
			Help: "1 when the last verification found the activity log's hash chain broken, 0 otherwise.",
		}, func() float64 {
			if watch.State().Break != nil {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "pomerium_console_activity_verified_timestamp_seconds",
			Help: "When the activity log's hash chain was last verified, in seconds since the Unix epoch (0 before the first time).",
		}, func() float64 {
			if at := watch.State().At; !at.IsZero() {
				return float64(at.UnixMilli()) / 1000
			}
			return 0
		}),
	)
}

// clusterStates reports how each cluster's reconciler is doing.
type clusterStates interface {
	States() []reconcile.ClusterState
}

// probes answers /healthz (the process answers) and /readyz (the API and
// the web console listen, and the store answers). /readyz lists every
// cluster's reconciler after "ok" (or, with ?verbose, one line per check
// in the style of Kubernetes'), but a cluster whose databroker does not
// answer does not make the console unready: the console still serves,
// and the other clusters are written to.
func probes(st store.Store, up *listeners, fleet clusterStates) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !up.all() {
			http.Error(w, "starting: the API and the web console do not listen yet", http.StatusServiceUnavailable)
			return
		}
		rctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := st.Version(rctx); err != nil {
			http.Error(w, "store unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		var b strings.Builder
		b.WriteString("ok\n")
		for _, c := range fleet.States() {
			mark := "+"
			if !c.Ready {
				mark = "-"
			}
			fmt.Fprintf(&b, "[%s]cluster %s (%s): %s\n", mark, c.Name, c.ID, c.Status)
		}
		_, _ = w.Write([]byte(b.String()))
	})
	return mux
}
