package manage

import (
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/store"
)

// Databrokers reach the databroker of each cluster: where Pomerium keeps
// the sessions, users and devices the console reads and changes as
// Pomerium itself does.
type Databrokers interface {
	// Databroker returns a client of the databroker of the cluster with id
	// (store.DefaultClusterID for the default cluster), or an error that
	// says why the console cannot reach it now.
	Databroker(clusterID string) (databrokerpb.DataBrokerServiceClient, error)
}

// DatabrokerFunc is a function that is Databrokers.
type DatabrokerFunc func(clusterID string) (databrokerpb.DataBrokerServiceClient, error)

// Databroker calls f.
func (f DatabrokerFunc) Databroker(clusterID string) (databrokerpb.DataBrokerServiceClient, error) {
	return f(clusterID)
}

// inCluster is the databroker of one cluster that a call acts on, with the
// cluster's id and namespace (where roles to act on it are held).
type inCluster struct {
	id        string
	namespace string
	broker    databrokerpb.DataBrokerServiceClient
}

// clusterNamespace is the namespace that holds a cluster: the Global
// namespace for the default cluster, else the cluster's own.
func clusterNamespace(id string) string {
	if id == store.DefaultClusterID {
		return store.GlobalNamespaceID
	}
	return id
}

// databroker checks that c may take action on the cluster with id (field
// names it in the request; empty for the default cluster) and returns that
// cluster's databroker.
func (a *App) databroker(c *Caller, field, id string, action Action) (*inCluster, error) {
	cluster, err := c.ClusterID(field, id)
	if err != nil {
		return nil, err
	}
	if err := c.permit(action, clusterNamespace(cluster)); err != nil {
		return nil, err
	}
	return a.reach(field, cluster)
}

// reach returns the databroker of a cluster whose id is checked already
// (field names it in the request).
func (a *App) reach(field, cluster string) (*inCluster, error) {
	if a.brokers == nil {
		return nil, Refuse(CodeUnavailable, "", "this console reaches no databroker (it runs without the reconciler)")
	}
	broker, err := a.brokers.Databroker(cluster)
	if err != nil {
		return nil, Refuse(CodeUnavailable, field, "cannot reach the cluster's databroker: %v", err)
	}
	return &inCluster{id: cluster, namespace: clusterNamespace(cluster), broker: broker}, nil
}

// unreachable is the refusal for a call to a cluster's databroker that
// failed: the databroker's own words, which name no secret.
func unreachable(what string, err error) error {
	return Refuse(CodeUnavailable, "", "%s: the cluster's databroker answered: %v", what, err)
}
