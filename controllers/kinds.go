package controllers

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// storeMeta is the store metadata of a resource: its UID as id, its name (or
// the console name the spec gives), and a reference back to it.
func storeMeta(obj client.Object, kind, name, namespaceID string) store.ObjectMeta {
	if name == "" {
		name = obj.GetName()
	}
	ref := kind + " " + obj.GetName()
	if obj.GetNamespace() != "" {
		ref = kind + " " + obj.GetNamespace() + "/" + obj.GetName()
	}
	return store.ObjectMeta{ID: string(obj.GetUID()), NamespaceID: namespaceID, Name: name, OriginRef: ref}
}

// consoleStatus is the status the console reports on a resource of any of
// its kinds.
func consoleStatus(o client.Object) *v1alpha1.Status {
	switch o := o.(type) {
	case *v1alpha1.Route:
		return &o.Status
	case *v1alpha1.Policy:
		return &o.Status
	case *v1alpha1.ConsoleNamespace:
		return &o.Status
	}
	panic(fmt.Sprintf("not a console resource: %T", o))
}

// writer is who the controllers write as: the use cases, and the caller
// they take for one reconcile.
type writer struct {
	app    *manage.App
	caller *manage.Caller
}

// resolve finds the console namespace a reference names.
func resolve(ctx context.Context, w writer, ref v1alpha1.NamespaceRef, field string) (string, error) {
	key := ref.ID
	if key == "" {
		key = ref.Path
	}
	id, err := w.app.ResolveNamespace(ctx, w.caller, key)
	if manage.CodeOf(err) == manage.CodeNotFound {
		// A ConsoleNamespace's arrival is watched; one made through the API
		// is not.
		return "", &refError{reason: "NamespaceNotFound", message: fmt.Sprintf("%s: %v", field, err)}
	}
	return id, err
}

func namespaceToStore(ctx context.Context, w writer, obj *v1alpha1.ConsoleNamespace) (store.Object, error) {
	parent := store.GlobalNamespaceID
	if obj.Spec.Parent != nil {
		var err error
		if parent, err = resolve(ctx, w, *obj.Spec.Parent, "spec.parent"); err != nil {
			return nil, err
		}
	}
	return &store.Namespace{ObjectMeta: storeMeta(obj, "ConsoleNamespace", obj.Spec.Name, parent)}, nil
}

func policyToStore(ctx context.Context, w writer, obj *v1alpha1.Policy) (store.Object, error) {
	ns, err := resolve(ctx, w, obj.Spec.Namespace, "spec.namespace")
	if err != nil {
		return nil, err
	}
	sp := obj.Spec
	return &store.Policy{ObjectMeta: storeMeta(obj, "Policy", sp.Name, ns), Description: sp.Description, PPL: sp.PPL,
		Enforced: sp.Enforced, Explanation: sp.Explanation, Remediation: sp.Remediation}, nil
}

func routeToStore(ctx context.Context, c client.Reader, w writer, obj *v1alpha1.Route) (store.Object, error) {
	ns, err := resolve(ctx, w, obj.Spec.Namespace, "spec.namespace")
	if err != nil {
		return nil, err
	}
	spec := routeSpec(&obj.Spec)
	for i, ref := range obj.Spec.Policies {
		if ref.ID != "" {
			spec.PolicyIds = append(spec.PolicyIds, ref.ID)
			continue
		}
		var p v1alpha1.Policy
		err := c.Get(ctx, client.ObjectKey{Namespace: obj.Namespace, Name: ref.Name}, &p)
		if apierrors.IsNotFound(err) {
			return nil, &refError{reason: "PolicyNotFound", message: fmt.Sprintf("spec.policies[%d]: policy %s/%s does not exist", i, obj.Namespace, ref.Name), watched: true}
		} else if err != nil {
			return nil, err
		}
		spec.PolicyIds = append(spec.PolicyIds, string(p.UID))
	}
	return &store.Route{ObjectMeta: storeMeta(obj, "Route", obj.Spec.Name, ns), Spec: spec}, nil
}

// routeSpec translates the route settings of a Route into the store's.
func routeSpec(s *v1alpha1.RouteSpec) *configpb.Route {
	r := &configpb.Route{
		Description: optional(s.Description), LogoUrl: optional(s.LogoURL), StatName: optional(s.StatName),
		From: s.From, To: s.To,
		Prefix: s.Prefix, Path: s.Path, Regex: s.Regex, RegexPriorityOrder: s.RegexPriorityOrder,
		PrefixRewrite: s.PrefixRewrite, RegexRewritePattern: s.RegexRewritePattern, RegexRewriteSubstitution: s.RegexRewriteSubstitution,
		HostRewrite: optional(s.HostRewrite), HostRewriteHeader: optional(s.HostRewriteHeader), PreserveHostHeader: s.PreserveHostHeader,
		AllowPublicUnauthenticatedAccess: s.AllowPublicUnauthenticatedAccess, AllowAnyAuthenticatedUser: s.AllowAnyAuthenticatedUser,
		CorsAllowPreflight: s.CORSAllowPreflight, PassIdentityHeaders: s.PassIdentityHeaders, ShowErrorDetails: s.ShowErrorDetails,
		Timeout: duration(s.Timeout), IdleTimeout: duration(s.IdleTimeout), AllowWebsockets: s.AllowWebsockets, AllowSpdy: s.AllowSPDY,
		SetRequestHeaders: s.SetRequestHeaders, RemoveRequestHeaders: s.RemoveRequestHeaders, SetResponseHeaders: s.SetResponseHeaders,
	}
	r.DependsOn, r.JwtGroupsFilter, r.JwtGroupsFilterInferFromPpl = s.DependsOn, s.JWTGroupsFilter, s.JWTGroupsFilterInferFromPPL
	r.EnableGoogleCloudServerlessAuthentication, r.HealthyPanicThreshold = s.EnableGoogleCloudServerlessAuthentication, s.HealthyPanicThreshold
	if len(s.AllowUpgrades) > 0 {
		r.AllowUpgrades = &configpb.Route_StringList{Values: s.AllowUpgrades}
	}
	if len(s.IDPAccessTokenAllowedAudiences) > 0 {
		r.IdpAccessTokenAllowedAudiences = &configpb.Route_StringList{Values: s.IDPAccessTokenAllowedAudiences}
	}
	if f := s.JWTIssuerFormat; f != "" {
		v := configpb.IssuerFormat(configpb.IssuerFormat_value[f])
		r.JwtIssuerFormat = &v
	}
	if f := s.BearerTokenFormat; f != "" {
		v := configpb.BearerTokenFormat(configpb.BearerTokenFormat_value["BEARER_TOKEN_FORMAT_"+f])
		r.BearerTokenFormat = &v
	}
	for _, h := range s.RewriteResponseHeaders {
		rh := &configpb.RouteRewriteHeader{Header: h.Header, Value: h.Value}
		if h.Prefix != "" {
			rh.Matcher = &configpb.RouteRewriteHeader_Prefix{Prefix: h.Prefix}
		}
		r.RewriteResponseHeaders = append(r.RewriteResponseHeaders, rh)
	}
	if cb := s.CircuitBreakerThresholds; cb != nil {
		r.CircuitBreakerThresholds = &configpb.CircuitBreakerThresholds{MaxConnections: u32(cb.MaxConnections),
			MaxPendingRequests: u32(cb.MaxPendingRequests), MaxRequests: u32(cb.MaxRequests),
			MaxRetries: u32(cb.MaxRetries), MaxConnectionPools: u32(cb.MaxConnectionPools)}
	}
	if lb := s.LoadBalancingPolicy; lb != "" {
		v := configpb.LoadBalancingPolicy(configpb.LoadBalancingPolicy_value["LOAD_BALANCING_POLICY_"+lb])
		r.LoadBalancingPolicy = &v
	}
	if d := s.Redirect; d != nil {
		r.Redirect = &configpb.RouteRedirect{HttpsRedirect: d.HTTPSRedirect, SchemeRedirect: optional(d.SchemeRedirect),
			HostRedirect: optional(d.HostRedirect), PathRedirect: optional(d.PathRedirect), PrefixRewrite: optional(d.PrefixRewrite),
			ResponseCode: d.ResponseCode, StripQuery: d.StripQuery}
		if d.PortRedirect != nil {
			r.Redirect.PortRedirect = proto.Uint32(uint32(*d.PortRedirect))
		}
	}
	if d := s.Response; d != nil {
		r.Response = &configpb.RouteDirectResponse{Status: uint32(d.Status), Body: d.Body}
	}
	if t := s.TLS; t != nil {
		r.TlsSkipVerify, r.TlsServerName = t.SkipVerify, t.ServerName
		r.TlsUpstreamServerName, r.TlsDownstreamServerName = t.UpstreamServerName, t.DownstreamServerName
		r.TlsCustomCaKeyPairId, r.TlsClientKeyPairId = optional(t.CustomCAKeyPairID), optional(t.ClientKeyPairID)
		r.TlsDownstreamClientCaKeyPairId, r.TlsUpstreamAllowRenegotiation = optional(t.DownstreamClientCAKeyPairID), t.UpstreamAllowRenegotiation
	}
	return r
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func u32(v *int64) *uint32 {
	if v == nil {
		return nil
	}
	return proto.Uint32(uint32(min(*v, 1<<32-1)))
}

func duration(d *metav1.Duration) *durationpb.Duration {
	if d == nil {
		return nil
	}
	return durationpb.New(d.Duration)
}
