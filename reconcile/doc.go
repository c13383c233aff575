// Package reconcile keeps the databroker of every Pomerium cluster equal to
// desired state. It compiles the whole desired state into target records
// (package compile, pure), compares them with a view of the records it owns
// in each databroker (loaded once with SyncLatest, then kept current from
// Sync streams), and writes the difference under a databroker lease so
// that one instance writes. It is level-triggered: change notifications
// only wake it, a periodic resync covers lost ones, and a pass with
// nothing to change writes nothing.
//
// # Clusters
//
// A cluster is a Pomerium deployment with a databroker of its own. The
// default cluster is the one the configuration names (databroker_service_url,
// or the embedded databroker); it always exists and owns the Global
// namespace. Every other cluster is a store.Cluster, added with a
// namespace of its own (a child of a namespace of the default cluster, with
// the cluster's id and Namespace.Cluster set), and owns that namespace and
// everything below it: namespaces, routes, policies, key pairs, and its
// settings (the Settings object bearing its id). Everything else belongs
// to the default cluster.
//
// A cluster's databroker holds the records of its own objects, and the
// policies of the namespaces above its namespace (the Global namespace's
// enforced policies guard every route, in every cluster), and the key
// pairs of those namespaces that its settings name among their
// certificates. A route may use the policies and key pairs of its cluster
// and of the namespaces above it, nothing of another cluster (compile
// reports it invalid, naming the reference). Routes of different clusters
// never conflict.
//
// A Fleet runs one Loop per cluster over one compiled copy of desired state
// (source): the store is read and compiled once, and each loop learns
// which objects changed since its own last pass. Everything else is each
// loop's own: its databroker client, its lease
// (pomerium-console-reconciler-<cluster id>, "…-default" for the default
// cluster), its view, the statuses of the objects it owns, its health
// (store.Health named after the cluster id, "default" for the default
// cluster) and its metrics (labelled cluster). The compiled copy is read
// under a read lock and databrokers are written without it, so a cluster
// that is slow or down holds up no other: its loop backs off (up to
// MaxBackoff) and records why in its health, which the surfaces show as
// the reason its objects wait.
//
// An object that moves to another cluster (a route to a namespace of
// another cluster, a namespace below another cluster's) is put in the new
// cluster's databroker first; the old cluster's loop keeps its record
// until the new one holds it, and only then deletes it.
//
// A deleted cluster is retired: its namespace and everything in it are
// deleted with it, its loop goes on writing until its databroker holds no
// record of the console (never anyone else's), and then the fleet deletes
// it for good (FleetOptions.Retired). A cluster whose databroker cannot be
// reached stays retiring until it can.
//
// External data sources (package datasource) are fetched by the loop that
// holds a cluster's writer lease, under that same lease, so that one
// instance writes to a databroker: their records are of types of their
// own, which the loop's view never holds, and a retiring cluster is
// forgotten only once the records of its data sources are gone too.
//
// The package never writes desired state itself (only status and health):
// the final deletion of a retired cluster is the caller's, through
// FleetOptions.Retired. It only ever writes or deletes records whose
// originator is the console.
package reconcile
