package api

import (
	"cmp"
	"context"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// configService implements pomerium.config.ConfigService, the API that
// Pomerium Core, Zero and Enterprise share, over the same use cases as
// the dashboard API. Where the two APIs differ, it follows what clients of
// ConfigService rely on: the server chooses ids on create; an update
// without update_mask replaces the whole object, with one only the fields
// it names; deleting what is not there succeeds; lists take a filter of
// field equalities.
type configService struct {
	*Server
	version string
}

// The headers by which clients of ConfigService say which namespace and
// cluster a write is for when the object does not.
const (
	namespaceHeader = "Namespace-Id"
	clusterHeader   = "Cluster-Id"
)

// scope is what the namespace and cluster headers of a request say.
type scope struct{ namespace, cluster string }

func scopeOf(h http.Header) scope {
	return scope{namespace: h.Get(namespaceHeader), cluster: h.Get(clusterHeader)}
}

// in checks the headers against the caller: a cluster it names exists and
// is visible to the caller, and the namespace named belongs to it. It
// returns the namespace a new object goes to when it names none: the
// Namespace-Id header's, or else the namespace of the cluster the
// Cluster-Id header names (a cluster's id is its namespace's).
func (sc scope) in(c *manage.Caller) (string, error) {
	if sc.cluster == "" {
		return sc.namespace, nil
	}
	cluster, err := c.ClusterWith(clusterHeader, sc.cluster, namespaceHeader, sc.namespace)
	if err != nil {
		return "", err
	}
	return cmp.Or(sc.namespace, cluster), nil
}

// inHeaderCluster refuses an object (its namespace, named by field) of
// another cluster than the one the Cluster-Id header names.
func (s *configService) inHeaderCluster(ctx context.Context, c *manage.Caller, h http.Header, field, namespace string) error {
	if err := c.InCluster(clusterHeader, h.Get(clusterHeader), field, namespace); err != nil {
		return s.fail(ctx, err, at{})
	}
	return nil
}

// deleted runs a delete of the use cases for the caller of the call: one
// of an object that is not there (or that the caller may not see)
// succeeds, as Pomerium answers.
func (s *configService) deleted(ctx context.Context, del func(*manage.Caller) error) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if err := del(c); err != nil && manage.CodeOf(err) != manage.CodeNotFound {
		return s.fail(ctx, err, at{})
	}
	return nil
}

// configList runs a list call: the query of the request (and of its
// headers), the use case that reads the page, each item converted.
func configList[T, M any](ctx context.Context, s *configService, h http.Header, msg configListRequest,
	md protoreflect.MessageDescriptor, ofStore func(store.Object) protoreflect.Message,
	read func(*manage.Caller, manage.ListQuery) (*manage.Page[T], error), out func(*manage.Caller, T) (M, error),
) ([]M, uint64, error) {
	sc := scopeOf(h)
	q, err := configListQuery(msg, md, sc, ofStore)
	if err != nil {
		return nil, 0, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	page, err := read(c, q)
	if err != nil {
		return nil, 0, s.fail(ctx, err, filterFields)
	}
	items := make([]M, len(page.Items))
	for i, item := range page.Items {
		if items[i], err = out(c, item); err != nil {
			return nil, 0, err
		}
	}
	return items, uint64(page.Total), nil
}

// begin reads what every write of an object starts with: the object in,
// which must be there (the request's field root), the caller, and the
// headers (ns is where an object that names no namespace goes, see
// scope.in).
func (s *configService) begin(ctx context.Context, h http.Header, root string, in proto.Message) (c *manage.Caller, ns string, err error) {
	if !in.ProtoReflect().IsValid() {
		return nil, "", invalid(root, "is required")
	}
	if c, err = s.caller(ctx); err != nil {
		return nil, "", err
	}
	if ns, err = scopeOf(h).in(c); err != nil {
		return nil, "", s.fail(ctx, err, at{})
	}
	return c, ns, nil
}

// update is what every Update call starts from: the caller, the object
// stored (read for the caller; an update is pinned to its version), and
// the object the request writes: in, or with update_mask the stored
// object with the fields the mask names taken from in. ns is the
// Namespace-Id header's.
type update[V any, M proto.Message] struct {
	c   *manage.Caller
	old V
	in  M
	ns  string
}

// startUpdate reads what an update of the object in (the request's field
// root) needs.
func startUpdate[V any, M proto.Message](ctx context.Context, s *configService, h http.Header, root string, in M, mask *fieldmaskpb.FieldMask,
	read func(*manage.Caller, string) (V, error), out func(*manage.Caller, V) (M, error), id string,
) (*update[V, M], error) {
	c, ns, err := s.begin(ctx, h, root, in)
	if err != nil {
		return nil, err
	}
	old, err := read(c, id)
	if err != nil {
		return nil, s.fail(ctx, err, at{root: root})
	}
	if mask != nil {
		merged, err := out(c, old)
		if err != nil {
			return nil, err
		}
		if err := applyMask(merged, in, mask); err != nil {
			return nil, err
		}
		in = merged
	}
	return &update[V, M]{c: c, old: old, in: in, ns: ns}, nil
}

// plain is an output conversion that needs neither the caller nor can fail.
func plain[T, M any](f func(T) M) func(*manage.Caller, T) (M, error) {
	return func(_ *manage.Caller, t T) (M, error) { return f(t), nil }
}

func (s *configService) GetServerInfo(ctx context.Context, _ *connect.Request[configpb.GetServerInfoRequest]) (*connect.Response[configpb.GetServerInfoResponse], error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.GetServerInfoResponse{
		ServerType: configpb.ServerType_SERVER_TYPE_ENTERPRISE,
		Version:    s.version,
	}), nil
}

func (s *configService) ListAvailableLogFields(ctx context.Context, _ *connect.Request[configpb.ListAvailableLogFieldsRequest]) (*connect.Response[configpb.ListAvailableLogFieldsResponse], error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, err
	}
	f := compile.PomeriumLogFields()
	return connect.NewResponse(&configpb.ListAvailableLogFieldsResponse{
		AvailableAccessLogFields:    f.Access,
		AvailableAuthorizeLogFields: f.Authorize,
		DefaultAccessLogFields:      f.DefaultAccess,
		DefaultAuthorizeLogFields:   f.DefaultAuthorize,
	}), nil
}

// Routes.

var configRouteFields = at{root: "route"}

func (s *configService) CreateRoute(ctx context.Context, req *connect.Request[configpb.CreateRouteRequest]) (*connect.Response[configpb.CreateRouteResponse], error) {
	c, ns, err := s.begin(ctx, req.Header(), "route", req.Msg.GetRoute())
	if err != nil {
		return nil, err
	}
	route := configRouteIn(req.Msg.GetRoute(), cmp.Or(ns, store.GlobalNamespaceID))
	if err := s.inHeaderCluster(ctx, c, req.Header(), "route.namespace_id", route.NamespaceID); err != nil {
		return nil, err
	}
	r, err := s.app.SetRoute(ctx, c, manage.RouteInput{Route: route, Create: true})
	if err != nil {
		return nil, s.fail(ctx, err, configRouteFields)
	}
	return connect.NewResponse(&configpb.CreateRouteResponse{Route: configRouteOut(r)}), nil
}

func (s *configService) GetRoute(ctx context.Context, req *connect.Request[configpb.GetRouteRequest]) (*connect.Response[configpb.GetRouteResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.app.GetRoute(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&configpb.GetRouteResponse{Route: configRouteOut(r)}), nil
}

func (s *configService) ListRoutes(ctx context.Context, req *connect.Request[configpb.ListRoutesRequest]) (*connect.Response[configpb.ListRoutesResponse], error) {
	items, total, err := configList(ctx, s, req.Header(), req.Msg, (&configpb.Route{}).ProtoReflect().Descriptor(), configRouteOfStore,
		func(c *manage.Caller, q manage.ListQuery) (*manage.Page[*manage.Route], error) {
			return s.app.ListRoutes(ctx, c, q)
		}, plain(configRouteOut))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.ListRoutesResponse{Routes: items, TotalCount: total}), nil
}

func (s *configService) UpdateRoute(ctx context.Context, req *connect.Request[configpb.UpdateRouteRequest]) (*connect.Response[configpb.UpdateRouteResponse], error) {
	u, err := startUpdate(ctx, s, req.Header(), "route", req.Msg.GetRoute(), req.Msg.UpdateMask,
		func(c *manage.Caller, id string) (*manage.Route, error) { return s.app.GetRoute(ctx, c, id) },
		plain(configRouteOut), req.Msg.GetRoute().GetId())
	if err != nil {
		return nil, err
	}
	route := configRouteIn(u.in, cmp.Or(u.ns, u.old.NamespaceID))
	if err := s.inHeaderCluster(ctx, u.c, req.Header(), "route.namespace_id", route.NamespaceID); err != nil {
		return nil, err
	}
	r, err := s.app.SetRoute(ctx, u.c, manage.RouteInput{Route: route, ExpectedVersion: new(u.old.Version)})
	if err != nil {
		return nil, s.fail(ctx, err, configRouteFields)
	}
	return connect.NewResponse(&configpb.UpdateRouteResponse{Route: configRouteOut(r)}), nil
}

func (s *configService) DeleteRoute(ctx context.Context, req *connect.Request[configpb.DeleteRouteRequest]) (*connect.Response[configpb.DeleteRouteResponse], error) {
	if err := s.deleted(ctx, func(c *manage.Caller) error { return s.app.DeleteRoute(ctx, c, req.Msg.GetId()) }); err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.DeleteRouteResponse{}), nil
}

// Policies.

var configPolicyFields = at{root: "policy", renames: map[string]string{"ppl": "source_ppl"}}

func (s *configService) CreatePolicy(ctx context.Context, req *connect.Request[configpb.CreatePolicyRequest]) (*connect.Response[configpb.CreatePolicyResponse], error) {
	c, ns, err := s.begin(ctx, req.Header(), "policy", req.Msg.GetPolicy())
	if err != nil {
		return nil, err
	}
	p, err := configPolicyIn(req.Msg.GetPolicy(), cmp.Or(ns, store.GlobalNamespaceID))
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	if err := s.inHeaderCluster(ctx, c, req.Header(), "policy.namespace_id", p.NamespaceID); err != nil {
		return nil, err
	}
	written, err := s.app.SetPolicy(ctx, c, manage.PolicyInput{Policy: p, Create: true, Reads: manage.PolicyReads{WithRoutes: true}})
	if err != nil {
		return nil, s.fail(ctx, err, configPolicyFields)
	}
	return connect.NewResponse(&configpb.CreatePolicyResponse{Policy: configPolicyOut(written)}), nil
}

func (s *configService) GetPolicy(ctx context.Context, req *connect.Request[configpb.GetPolicyRequest]) (*connect.Response[configpb.GetPolicyResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.app.GetPolicy(ctx, c, req.Msg.GetId(), manage.PolicyReads{WithRoutes: true})
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&configpb.GetPolicyResponse{Policy: configPolicyOut(p)}), nil
}

func (s *configService) ListPolicies(ctx context.Context, req *connect.Request[configpb.ListPoliciesRequest]) (*connect.Response[configpb.ListPoliciesResponse], error) {
	items, total, err := configList(ctx, s, req.Header(), req.Msg, (&configpb.Policy{}).ProtoReflect().Descriptor(), configPolicyOfStore,
		func(c *manage.Caller, q manage.ListQuery) (*manage.Page[*manage.Policy], error) {
			return s.app.ListPolicies(ctx, c, q, manage.PolicyReads{WithRoutes: true})
		}, plain(configPolicyOut))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.ListPoliciesResponse{Policies: items, TotalCount: total}), nil
}

func (s *configService) UpdatePolicy(ctx context.Context, req *connect.Request[configpb.UpdatePolicyRequest]) (*connect.Response[configpb.UpdatePolicyResponse], error) {
	u, err := startUpdate(ctx, s, req.Header(), "policy", req.Msg.GetPolicy(), req.Msg.UpdateMask,
		func(c *manage.Caller, id string) (*manage.Policy, error) {
			return s.app.GetPolicy(ctx, c, id, manage.PolicyReads{})
		},
		plain(configPolicyOut), req.Msg.GetPolicy().GetId())
	if err != nil {
		return nil, err
	}
	p, err := configPolicyIn(u.in, cmp.Or(u.ns, u.old.NamespaceID))
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	if err := s.inHeaderCluster(ctx, u.c, req.Header(), "policy.namespace_id", p.NamespaceID); err != nil {
		return nil, err
	}
	written, err := s.app.SetPolicy(ctx, u.c, manage.PolicyInput{
		Policy: p, ExpectedVersion: new(u.old.Version), Reads: manage.PolicyReads{WithRoutes: true},
	})
	if err != nil {
		return nil, s.fail(ctx, err, configPolicyFields)
	}
	return connect.NewResponse(&configpb.UpdatePolicyResponse{Policy: configPolicyOut(written)}), nil
}

func (s *configService) DeletePolicy(ctx context.Context, req *connect.Request[configpb.DeletePolicyRequest]) (*connect.Response[configpb.DeletePolicyResponse], error) {
	if err := s.deleted(ctx, func(c *manage.Caller) error {
		return s.app.DeletePolicy(ctx, c, req.Msg.GetId(), req.Msg.GetRemoveFromAnyAssignedRoutes())
	}); err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.DeletePolicyResponse{}), nil
}

// Key pairs.

var configKeyPairFields = at{root: "key_pair", renames: map[string]string{"private_key": "key"}}

// keyPairOut is a key pair with its private key for a caller who may read
// it (one who may change the key pair), without for any other.
func (s *configService) keyPairOut(ctx context.Context, c *manage.Caller, kp *manage.KeyPair) (*configpb.KeyPair, error) {
	var key []byte
	if c.May(manage.EditKeyPairs, kp.NamespaceID) {
		var err error
		if key, err = s.app.KeyPairKey(ctx, c, kp.ID); err != nil {
			return nil, s.fail(ctx, err, at{})
		}
	}
	return configKeyPairOut(kp, key), nil
}

func (s *configService) CreateKeyPair(ctx context.Context, req *connect.Request[configpb.CreateKeyPairRequest]) (*connect.Response[configpb.CreateKeyPairResponse], error) {
	in := req.Msg.GetKeyPair()
	c, ns, err := s.begin(ctx, req.Header(), "key_pair", in)
	if err != nil {
		return nil, err
	}
	create := &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{ID: in.GetId(), NamespaceID: cmp.Or(in.GetNamespaceId(), ns, store.GlobalNamespaceID), Name: in.GetName()},
		Certificate: in.GetCertificate(), PrivateKey: in.GetKey(),
	}
	create.Explicit = keyPairExplicit(in, create)
	if err := s.inHeaderCluster(ctx, c, req.Header(), "key_pair.namespace_id", create.NamespaceID); err != nil {
		return nil, err
	}
	kp, err := s.app.CreateKeyPair(ctx, c, create)
	if err != nil {
		return nil, s.fail(ctx, err, configKeyPairFields)
	}
	out, err := s.keyPairOut(ctx, c, kp)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.CreateKeyPairResponse{KeyPair: out}), nil
}

func (s *configService) GetKeyPair(ctx context.Context, req *connect.Request[configpb.GetKeyPairRequest]) (*connect.Response[configpb.GetKeyPairResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	kp, err := s.app.GetKeyPair(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out, err := s.keyPairOut(ctx, c, kp)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.GetKeyPairResponse{KeyPair: out}), nil
}

func (s *configService) ListKeyPairs(ctx context.Context, req *connect.Request[configpb.ListKeyPairsRequest]) (*connect.Response[configpb.ListKeyPairsResponse], error) {
	items, total, err := configList(ctx, s, req.Header(), req.Msg, (&configpb.KeyPair{}).ProtoReflect().Descriptor(), configKeyPairOfStore,
		func(c *manage.Caller, q manage.ListQuery) (*manage.Page[*manage.KeyPair], error) {
			return s.app.ListKeyPairs(ctx, c, manage.KeyPairQuery{ListQuery: q})
		}, func(c *manage.Caller, kp *manage.KeyPair) (*configpb.KeyPair, error) { return s.keyPairOut(ctx, c, kp) })
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.ListKeyPairsResponse{KeyPairs: items, TotalCount: total}), nil
}

func (s *configService) UpdateKeyPair(ctx context.Context, req *connect.Request[configpb.UpdateKeyPairRequest]) (*connect.Response[configpb.UpdateKeyPairResponse], error) {
	u, err := startUpdate(ctx, s, req.Header(), "key_pair", req.Msg.GetKeyPair(), req.Msg.UpdateMask,
		func(c *manage.Caller, id string) (*manage.KeyPair, error) { return s.app.GetKeyPair(ctx, c, id) },
		func(c *manage.Caller, kp *manage.KeyPair) (*configpb.KeyPair, error) { return s.keyPairOut(ctx, c, kp) },
		req.Msg.GetKeyPair().GetId())
	if err != nil {
		return nil, err
	}
	if ns := u.in.GetNamespaceId(); ns != "" && ns != u.old.NamespaceID {
		return nil, invalid("key_pair.namespace_id", "cannot change: a key pair stays in the namespace it was created in")
	}
	kp, err := s.app.UpdateKeyPair(ctx, u.c, manage.KeyPairUpdate{
		ID: u.old.ID, Name: new(u.in.GetName()), Certificate: u.in.GetCertificate(), PrivateKey: u.in.GetKey(),
		ExpectedVersion: new(u.old.Version),
		Explicit:        keyPairExplicit(u.in, &store.KeyPair{ObjectMeta: u.old.ObjectMeta, PrivateKey: u.in.GetKey()}),
	})
	if err != nil {
		return nil, s.fail(ctx, err, configKeyPairFields)
	}
	out, err := s.keyPairOut(ctx, u.c, kp)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.UpdateKeyPairResponse{KeyPair: out}), nil
}

func (s *configService) DeleteKeyPair(ctx context.Context, req *connect.Request[configpb.DeleteKeyPairRequest]) (*connect.Response[configpb.DeleteKeyPairResponse], error) {
	if err := s.deleted(ctx, func(c *manage.Caller) error { return s.app.DeleteKeyPair(ctx, c, req.Msg.GetId()) }); err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.DeleteKeyPairResponse{}), nil
}

// Service accounts.

var configServiceAccountFields = at{root: "service_account"}

func (s *configService) CreateServiceAccount(ctx context.Context, req *connect.Request[configpb.CreateServiceAccountRequest]) (*connect.Response[configpb.CreateServiceAccountResponse], error) {
	in := req.Msg.GetServiceAccount()
	c, ns, err := s.begin(ctx, req.Header(), "service_account", in)
	if err != nil {
		return nil, err
	}
	account := configServiceAccountIn(in, cmp.Or(ns, store.GlobalNamespaceID))
	if err := s.inHeaderCluster(ctx, c, req.Header(), "service_account.namespace_id", account.NamespaceID); err != nil {
		return nil, err
	}
	sa, token, err := s.app.AddServiceAccount(ctx, c, account)
	if err != nil {
		return nil, s.fail(ctx, err, configServiceAccountFields)
	}
	return connect.NewResponse(&configpb.CreateServiceAccountResponse{ServiceAccount: configServiceAccountOut(sa), Jwt: token}), nil
}

func (s *configService) GetServiceAccount(ctx context.Context, req *connect.Request[configpb.GetServiceAccountRequest]) (*connect.Response[configpb.GetServiceAccountResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	sa, err := s.app.GetServiceAccount(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&configpb.GetServiceAccountResponse{ServiceAccount: configServiceAccountOut(sa)}), nil
}

func (s *configService) ListServiceAccounts(ctx context.Context, req *connect.Request[configpb.ListServiceAccountsRequest]) (*connect.Response[configpb.ListServiceAccountsResponse], error) {
	items, total, err := configList(ctx, s, req.Header(), req.Msg, (&configpb.ServiceAccount{}).ProtoReflect().Descriptor(), configServiceAccountOfStore,
		func(c *manage.Caller, q manage.ListQuery) (*manage.Page[*manage.ServiceAccount], error) {
			return s.app.ServiceAccountPage(ctx, c, q)
		}, plain(configServiceAccountOut))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.ListServiceAccountsResponse{ServiceAccounts: items, TotalCount: total}), nil
}

func (s *configService) UpdateServiceAccount(ctx context.Context, req *connect.Request[configpb.UpdateServiceAccountRequest]) (*connect.Response[configpb.UpdateServiceAccountResponse], error) {
	u, err := startUpdate(ctx, s, req.Header(), "service_account", req.Msg.GetServiceAccount(), req.Msg.UpdateMask,
		func(c *manage.Caller, id string) (*manage.ServiceAccount, error) {
			return s.app.GetServiceAccount(ctx, c, id)
		},
		plain(configServiceAccountOut), req.Msg.GetServiceAccount().GetId())
	if err != nil {
		return nil, err
	}
	sa, token, err := s.app.SetServiceAccount(ctx, u.c, manage.ServiceAccountInput{
		Account: configServiceAccountIn(u.in, u.old.NamespaceID), ExpectedVersion: new(u.old.Version),
	})
	if err != nil {
		return nil, s.fail(ctx, err, configServiceAccountFields)
	}
	return connect.NewResponse(&configpb.UpdateServiceAccountResponse{ServiceAccount: configServiceAccountOut(sa), Jwt: token}), nil
}

func (s *configService) DeleteServiceAccount(ctx context.Context, req *connect.Request[configpb.DeleteServiceAccountRequest]) (*connect.Response[configpb.DeleteServiceAccountResponse], error) {
	if err := s.deleted(ctx, func(c *manage.Caller) error { return s.app.DeleteServiceAccount(ctx, c, req.Msg.GetId()) }); err != nil {
		return nil, err
	}
	return connect.NewResponse(&configpb.DeleteServiceAccountResponse{}), nil
}

// Settings. Every cluster has one settings object: the default
// cluster's has the id store.SettingsID, any other cluster's the
// cluster's id. ConfigService names them by id or by cluster.

var configSettingsFields = at{root: "settings"}

// settingsCluster is the cluster whose settings a request names by id
// (field idField) or cluster id (clusterField), or else by the Cluster-Id
// header; none of them: the default cluster.
func settingsCluster(c *manage.Caller, idField, id, clusterField, cluster string, sc scope) (string, error) {
	switch {
	case id == store.SettingsID:
		id = store.DefaultClusterID
	case id != "" && !store.ValidID(id):
		return "", manage.Refuse(manage.CodeNotFound, idField, "settings %s not found: the settings of a cluster have its id, those of the default cluster %s", id, store.SettingsID)
	case id != "":
		got, err := c.ClusterID(idField, id)
		if err != nil {
			return "", manage.Refuse(manage.CodeNotFound, idField, "settings %s not found", id)
		}
		id = got
	}
	for _, named := range []struct{ field, id string }{{clusterField, cluster}, {clusterHeader, sc.cluster}} {
		if named.id == "" {
			continue
		}
		got, err := c.ClusterID(named.field, named.id)
		if err != nil {
			return "", err
		}
		if id != "" && got != id {
			return "", manage.Refuse(manage.CodeInvalid, named.field, "names cluster %s, but the settings named are those of cluster %s", got, id)
		}
		id = got
	}
	return cmp.Or(id, store.DefaultClusterID), nil
}

func (s *configService) GetSettings(ctx context.Context, req *connect.Request[configpb.GetSettingsRequest]) (*connect.Response[configpb.GetSettingsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	cluster, err := settingsCluster(c, "id", req.Msg.GetId(), "cluster_id", req.Msg.GetClusterId(), scopeOf(req.Header()))
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	st, err := s.app.GetSettings(ctx, c, cluster)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&configpb.GetSettingsResponse{Settings: configSettingsOut(st)}), nil
}

// ListSettings lists the settings of every cluster the caller may see (the
// default cluster's first, then by cluster name) that the filter and the
// headers keep.
func (s *configService) ListSettings(ctx context.Context, req *connect.Request[configpb.ListSettingsRequest]) (*connect.Response[configpb.ListSettingsResponse], error) {
	lf, err := parseListFilter(req.Msg.GetFilter(), (&configpb.Settings{}).ProtoReflect().Descriptor())
	if err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	sc := scopeOf(req.Header())
	if _, err := sc.in(c); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	clusters, err := s.app.ListClusters(ctx, c)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	var kept []*configpb.Settings
	for _, cl := range clusters {
		if !c.May(manage.View, cl.ID) || (lf.cluster != "" && lf.cluster != cl.ID) || (sc.cluster != "" && sc.cluster != cl.ID) {
			continue
		}
		st, err := s.app.GetSettings(ctx, c, cl.ID)
		if err != nil {
			return nil, s.fail(ctx, err, at{})
		}
		out := configSettingsOut(st)
		if (lf.namespace == "" || lf.namespace == st.NamespaceID) && (sc.namespace == "" || sc.namespace == st.NamespaceID) &&
			lf.name == "" && lf.query == "" && (lf.rest == nil || lf.rest.match(out.ProtoReflect())) {
			kept = append(kept, out)
		}
	}
	res := &configpb.ListSettingsResponse{TotalCount: uint64(len(kept))}
	start := min(req.Msg.GetOffset(), uint64(len(kept)))
	end := uint64(len(kept))
	if l := req.Msg.GetLimit(); l > 0 {
		end = min(start+l, end)
	}
	res.Settings = kept[start:end]
	return connect.NewResponse(res), nil
}

func (s *configService) UpdateSettings(ctx context.Context, req *connect.Request[configpb.UpdateSettingsRequest]) (*connect.Response[configpb.UpdateSettingsResponse], error) {
	in := req.Msg.GetSettings()
	if in == nil {
		in = &configpb.Settings{}
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	sc := scopeOf(req.Header())
	if _, err := sc.in(c); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	cluster, err := settingsCluster(c, "settings.id", in.GetId(), "settings.cluster_id", in.GetClusterId(), sc)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	old, err := s.app.GetSettings(ctx, c, cluster)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	if req.Msg.UpdateMask != nil {
		merged := configSettingsOut(old)
		if err := applyMask(merged, in, req.Msg.UpdateMask); err != nil {
			return nil, err
		}
		in = merged
	}
	spec := configSettingsIn(in)
	st, err := s.app.SetSettings(ctx, c, manage.SettingsInput{Cluster: cluster, Spec: spec, ExpectedVersion: settingsVersion(old), Explicit: settingsExplicit(in, spec)})
	if err != nil {
		return nil, s.fail(ctx, err, configSettingsFields)
	}
	return connect.NewResponse(&configpb.UpdateSettingsResponse{Settings: configSettingsOut(st)}), nil
}

// settingsVersion is the version an update of settings read: none for
// settings never written, whose first write is a create.
func settingsVersion(st *manage.Settings) *int64 {
	if st.Version == 0 {
		return nil
	}
	return new(st.Version)
}

// filterFields names the query fields of the use cases as the list
// requests of ConfigService do: the namespace is the filter's.
var filterFields = at{renames: map[string]string{"namespace": "filter.namespace_id", "name": "filter.name", "query": "filter.query"}}
