package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pomerium-console/pomerium-console/controllers"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// LeaderElectionID names the Kubernetes Lease that makes one replica run
// the controllers.
const LeaderElectionID = "pomerium-console-controllers"

// serviceAccountNamespace is where Kubernetes tells a pod its namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// kubeConfig returns how to reach Kubernetes: the kubeconfig file given,
// or the pod's own service account when running in a cluster; nil when
// neither applies.
func kubeConfig(kubeconfig string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	switch {
	case kubeconfig != "":
		if cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
			return nil, fmt.Errorf("--kubeconfig: %w", err)
		}
	case os.Getenv("KUBERNETES_SERVICE_HOST") != "":
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("in-cluster configuration: %w", err)
		}
	default:
		return nil, nil
	}
	return withThroughput(cfg), nil
}

// The client's request rate toward the API server when the configuration
// sets none: client-go's default (5 a second, bursts of 10) would hold the
// controllers to a few objects a second, while the API server's own
// priority and fairness protects it from a busy client.
const (
	kubeQPS   = 200
	kubeBurst = 400
)

// withThroughput gives cfg kubeQPS and kubeBurst unless it sets its own.
func withThroughput(cfg *rest.Config) *rest.Config {
	if cfg.QPS == 0 {
		cfg.QPS = kubeQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = kubeBurst
	}
	return cfg
}

// leaderElectionNamespace is where the leader Lease lives: the given one,
// else the pod's namespace, else "default".
func leaderElectionNamespace(given string) string {
	if given != "" {
		return given
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile(serviceAccountNamespace); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b))
	}
	return "default"
}

// runControllers runs the Kubernetes controllers until ctx ends, on the
// replica that holds the leader Lease; the others wait to take over. The
// Lease is released on the way out, so a successor starts at once.
func runControllers(ctx context.Context, cfg *rest.Config, leaseNamespace string, st store.Store, log logr.Logger) error {
	scheme, err := controllers.NewScheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Logger: log,
		// serve's own /metrics serves controller-runtime's registry.
		Metrics:                       server.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		LeaderElection:                true,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       leaseNamespace,
		LeaderElectionReleaseOnCancel: true,
		// Controller names are checked process-wide, as they label the
		// metrics of a process-wide registry; a process may run serve more
		// than once (tests do), each later run adding to the same series.
		Controller: ctrlconfig.Controller{SkipNameValidation: new(true)},
	})
	if err != nil {
		return fmt.Errorf("kubernetes controllers: %w", err)
	}
	app := manage.New(manage.Options{Store: st, Logger: log.WithName("manage")})
	if err := controllers.Setup(mgr, app, st, log); err != nil {
		return fmt.Errorf("kubernetes controllers: %w", err)
	}
	log.Info("kubernetes controllers starting; waiting for the leader lease", "lease", leaseNamespace+"/"+LeaderElectionID)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("kubernetes controllers: %w", err)
	}
	return nil
}
