package controllers

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/pomerium-console/pomerium-console/store"
)

// StatusWakesMetric counts the objects queued because the reconciler
// changed their status in the store.
const StatusWakesMetric = "pomerium_console_controllers_status_wakes_total"

// statusWakes is served with controller-runtime's own metrics.
var statusWakes = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: StatusWakesMetric,
	Help: "Objects queued for reconciliation because the console's reconciler changed their status in the store.",
}, []string{"controller"})

func init() { metrics.Registry.MustRegister(statusWakes) }

// statusSource queues the objects of one kind whose status the reconciler
// changed, so that Ready follows the reconciler without polling the store.
type statusSource struct {
	store  store.StatusReader
	events chan event.TypedGenericEvent[store.StatusEvent]
	source.Source
}

// newStatusSource returns the source; toRequests maps a status event to the
// objects it concerns.
func newStatusSource(s store.StatusReader, toRequests handler.TypedMapFunc[store.StatusEvent, reconcile.Request]) *statusSource {
	events := make(chan event.TypedGenericEvent[store.StatusEvent])
	return &statusSource{store: s, events: events,
		Source: source.Channel[store.StatusEvent](events, handler.TypedEnqueueRequestsFromMapFunc(toRequests))}
}

// Start subscribes before the controller's workers start, and so before any
// reconcile reads a status: a change made between that read and the
// subscription would otherwise go unheard.
func (s *statusSource) Start(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	sub := s.store.SubscribeStatus(ctx)
	go func() {
		defer close(s.events)
		// The subscription merges what arrives while an event waits here.
		for ev := range sub.C {
			select {
			case s.events <- event.TypedGenericEvent[store.StatusEvent]{Object: ev}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return s.Source.Start(ctx, q)
}

// statusRequests maps a status event to the objects of the mirror's kind it
// names. After missed events, every object of the kind.
func (m *mirror[T]) statusRequests(ctx context.Context, ev store.StatusEvent) []reconcile.Request {
	var out []reconcile.Request
	if ev.MaybeMissed {
		out = dependents{cache: m.client, log: m.log}.list(ctx, m.newList(), nil)
	}
	for _, k := range ev.Objects {
		if k.Kind != m.kind {
			continue
		}
		if name, ok := m.names.get(types.UID(k.ID)); ok {
			out = append(out, reconcile.Request{NamespacedName: name})
		}
	}
	statusWakes.WithLabelValues(m.name).Add(float64(len(out)))
	return out
}

// names maps the UIDs of the objects a controller reconciled, which are
// their store ids, to their names, so that a status event finds the objects
// it is about. Only an object a reconcile wrote to the store has a status,
// so the reconcile records it; an index of the informer cache on the UID
// would take several times the memory (a set per object, kept twice).
type names struct {
	mu sync.RWMutex
	m  map[types.UID]types.NamespacedName
}

func (n *names) set(uid types.UID, name types.NamespacedName) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[types.UID]types.NamespacedName{}
	}
	n.m[uid] = name
}

func (n *names) get(uid types.UID) (types.NamespacedName, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	name, ok := n.m[uid]
	return name, ok
}

func (n *names) remove(uid types.UID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, uid)
}
