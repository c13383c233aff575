package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// The calls a client makes, and how often: reads are most of what
// automation and the web console do, a third of the calls write. A write
// changes a route's `to`, which the databroker then shows: the run times
// each from the call until the record arrives on a Sync stream.
var mix = []struct {
	name   string
	weight int
	call   func(*client, context.Context) error
}{
	{"dashboard.GetRoute", 25, (*client).dashboardGet},
	{"dashboard.ListRoutes", 10, (*client).dashboardList},
	{"dashboard.SetRoute", 15, (*client).dashboardSet},
	{"config.GetRoute", 15, (*client).configGet},
	{"config.ListRoutes", 10, (*client).configList},
	{"config.UpdateRoute", 15, (*client).configUpdate},
	{"config.CreateRoute+dashboard.DeleteRoute", 10, (*client).createDelete},
}

// listPage is the page size of the list calls: what the web console asks.
const listPage = 50

// client is one API client: a gRPC connection for the dashboard API and a
// Connect client for ConfigService, as the official clients and the
// Terraform provider make them. It writes only its own share of the routes,
// so two writes of one route never race and each can be waited for.
type client struct {
	n         int
	rng       *rand.Rand
	namespace string   // the Global namespace's id, where the routes are
	routes    []string // ids of the routes this client writes
	all       []string // every seeded route, which it reads
	dashboard dashboardpb.RouteServiceClient
	config    configpbconnect.ConfigServiceClient
	stats     *stats
	lag       *lagWatch
	writes    int
}

// dial makes one API client's connections: a gRPC connection and an HTTP
// client of its own; hangUp closes both.
func dial(w *world) (conn *grpc.ClientConn, cs configpbconnect.ConfigServiceClient, hangUp func(), err error) {
	conn, err = grpc.NewClient(w.api, grpc.WithTransportCredentials(credentials.NewTLS(w.tls)), grpc.WithPerRPCCredentials(bearer(w.token)))
	if err != nil {
		return nil, nil, nil, err
	}
	token := w.token
	transport := &http.Transport{TLSClientConfig: w.tls, ForceAttemptHTTP2: true}
	cs = configpbconnect.NewConfigServiceClient(&http.Client{Transport: transport}, "https://"+w.api,
		connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", "Pomerium "+token)
				return next(ctx, req)
			}
		})))
	return conn, cs, func() {
		_ = conn.Close() // nothing is left to fail
		transport.CloseIdleConnections()
	}, nil
}

// bearer sends the run's token as gRPC metadata.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Pomerium " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// run makes calls until ctx ends, picking each by the mix's weights.
func (c *client) run(ctx context.Context) {
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	for ctx.Err() == nil {
		pick := c.rng.IntN(total)
		for _, m := range mix {
			if pick -= m.weight; pick < 0 {
				start := time.Now()
				err := m.call(c, ctx)
				if ctx.Err() != nil && err != nil {
					return // cut short by the end of the run: not counted
				}
				c.stats.add(m.name, time.Since(start), err)
				break
			}
		}
	}
}

func (c *client) anyRoute() string   { return c.all[c.rng.IntN(len(c.all))] }
func (c *client) ownRoute() string   { return c.routes[c.rng.IntN(len(c.routes))] }
func (c *client) pageOffset() uint64 { return uint64(c.rng.IntN(max(1, len(c.all)-listPage))) }

func (c *client) dashboardGet(ctx context.Context) error {
	_, err := c.dashboard.GetRoute(ctx, &dashboardpb.GetRouteRequest{Id: c.anyRoute()})
	return err
}

func (c *client) dashboardList(ctx context.Context) error {
	res, err := c.dashboard.ListRoutes(ctx, &dashboardpb.ListRoutesRequest{Namespace: c.namespace, Offset: proto.Int64(int64(c.pageOffset())), Limit: proto.Int64(listPage)})
	if err == nil && len(res.Routes) == 0 {
		return errors.New("an empty page")
	}
	return err
}

// dashboardSet reads a route and writes it back with a new `to`, as the
// dashboard API's clients change one field.
func (c *client) dashboardSet(ctx context.Context) error {
	id := c.ownRoute()
	got, err := c.dashboard.GetRoute(ctx, &dashboardpb.GetRouteRequest{Id: id})
	if err != nil {
		return err
	}
	r := got.GetRoute()
	to := c.nextTarget()
	r.To = []string{to}
	w := c.lag.expect(id, to)
	_, err = c.dashboard.SetRoute(ctx, &dashboardpb.SetRouteRequest{Route: r})
	c.lag.acked(ctx, w, err)
	return err
}

func (c *client) configGet(ctx context.Context) error {
	_, err := c.config.GetRoute(ctx, connect.NewRequest(&configpb.GetRouteRequest{Id: c.anyRoute()}))
	return err
}

func (c *client) configList(ctx context.Context) error {
	res, err := c.config.ListRoutes(ctx, connect.NewRequest(&configpb.ListRoutesRequest{Offset: proto.Uint64(c.pageOffset()), Limit: proto.Uint64(listPage)}))
	if err == nil && len(res.Msg.Routes) == 0 {
		return errors.New("an empty page")
	}
	return err
}

// configUpdate changes only `to`, with an update mask, as the Terraform
// provider does.
func (c *client) configUpdate(ctx context.Context) error {
	id := c.ownRoute()
	to := c.nextTarget()
	w := c.lag.expect(id, to)
	_, err := c.config.UpdateRoute(ctx, connect.NewRequest(&configpb.UpdateRouteRequest{
		Route:      &configpb.Route{Id: proto.String(id), To: []string{to}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"to"}},
	}))
	c.lag.acked(ctx, w, err)
	return err
}

// createDelete creates a route through ConfigService and deletes it through
// the dashboard API, so the number of routes stays what was seeded.
func (c *client) createDelete(ctx context.Context) error {
	host := fmt.Sprintf("https://load-new-%d-%d.example.com", c.n, c.writes)
	c.writes++
	res, err := c.config.CreateRoute(ctx, connect.NewRequest(&configpb.CreateRouteRequest{Route: &configpb.Route{
		Name: proto.String(strings.TrimPrefix(host, "https://")), NamespaceId: proto.String(c.namespace), From: host, To: []string{"http://load-new.internal"},
	}}))
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if _, err := c.dashboard.DeleteRoute(ctx, &dashboardpb.DeleteRouteRequest{Id: res.Msg.GetRoute().GetId()}); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// nextTarget is a `to` no other write of the run uses.
func (c *client) nextTarget() string {
	c.writes++
	return fmt.Sprintf("http://load-%d-%d.internal:8080", c.n, c.writes)
}

// stats collects every call's time and outcome.
type stats struct {
	mu    sync.Mutex
	calls map[string]*callStats
	total atomic.Int64
}

type callStats struct {
	times  []time.Duration
	errors map[string]int // by gRPC/Connect code, with one example message
	sample map[string]string
}

func newStats() *stats { return &stats{calls: map[string]*callStats{}} }

func (s *stats) add(name string, d time.Duration, err error) {
	s.total.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.calls[name]
	if cs == nil {
		cs = &callStats{errors: map[string]int{}, sample: map[string]string{}}
		s.calls[name] = cs
	}
	cs.times = append(cs.times, d)
	if err != nil {
		code := codeOf(err)
		cs.errors[code]++
		cs.sample[code] = err.Error()
	}
}

// codeOf names the status code of a gRPC or Connect error.
func codeOf(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code().String()
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return s.Code().String()
	}
	return "other"
}

// percentile is the p-th percentile (0-100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// summary is one line per call: count, errors, p50, p99, max.
func (s *stats) summary(elapsed time.Duration) (lines []string, errs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.calls))
	for name := range s.calls {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		cs := s.calls[name]
		slices.Sort(cs.times)
		line := fmt.Sprintf("%-42s %8d calls %7.1f/s  p50 %7s  p99 %7s  max %7s", name, len(cs.times),
			float64(len(cs.times))/elapsed.Seconds(), ms(percentile(cs.times, 50)), ms(percentile(cs.times, 99)), ms(cs.times[len(cs.times)-1]))
		for code, n := range cs.errors {
			errs += n
			line += fmt.Sprintf("\n    %d × %s, e.g. %s", n, code, cs.sample[code])
		}
		lines = append(lines, line)
	}
	return lines, errs
}

// ms prints a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
