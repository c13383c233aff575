package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// RouteSpec is a route of the proxy. Field names follow Pomerium's route
// settings in camelCase. Settings that hold secrets (IdP client secret,
// Kubernetes service account token, inline TLS keys) are not here: TLS keys
// come from console key pairs by id. Health checks, outlier detection,
// upstream tunnels, MCP and session recording are not here yet.
//
// +kubebuilder:validation:XValidation:rule="(has(self.to) ? 1 : 0) + (has(self.redirect) ? 1 : 0) + (has(self.response) ? 1 : 0) == 1",message="set exactly one of to, redirect and response"
// +kubebuilder:validation:XValidation:rule="!(has(self.prefixRewrite) && has(self.regexRewritePattern))",message="set at most one of prefixRewrite and regexRewritePattern"
// +kubebuilder:validation:XValidation:rule="!(has(self.allowPublicUnauthenticatedAccess) && self.allowPublicUnauthenticatedAccess && has(self.allowAnyAuthenticatedUser) && self.allowAnyAuthenticatedUser)",message="a public route cannot also require authentication"
type RouteSpec struct {
	// Namespace is the console namespace the route lives in.
	Namespace NamespaceRef `json:"namespace"`
	// Name is the route's name in the console; default metadata.name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
	// Description says what the route is for.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`
	// LogoURL is shown for the route in Pomerium's routes portal.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	LogoURL string `json:"logoURL,omitempty"`
	// StatName names the route in metrics.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	StatName string `json:"statName,omitempty"`

	// From is the external URL the route answers: http(s), or
	// tcp+http(s)/udp+http(s) for TCP and UDP tunnels.
	// +kubebuilder:validation:Pattern=`^(https?|tcp\+https?|udp\+https?)://[^\s/?#]+(:[0-9]+)?/?$`
	// +kubebuilder:validation:MaxLength=2048
	From string `json:"from"`
	// To are the upstream URLs.
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:Pattern=`^[a-z][a-z0-9+.-]*://\S+$`
	// +kubebuilder:validation:items:MaxLength=2048
	To []string `json:"to,omitempty"`
	// Redirect answers every request with a redirect instead of proxying.
	// +optional
	Redirect *RouteRedirect `json:"redirect,omitempty"`
	// Response answers every request with a fixed response.
	// +optional
	Response *RouteResponse `json:"response,omitempty"`
	// LoadBalancingPolicy spreads requests over the upstreams.
	// +optional
	// +kubebuilder:validation:Enum=ROUND_ROBIN;MAGLEV;RANDOM;RING_HASH;LEAST_REQUEST
	LoadBalancingPolicy string `json:"loadBalancingPolicy,omitempty"`

	// Prefix, Path and Regex restrict the route to matching request paths.
	// +optional
	// +kubebuilder:validation:Pattern=`^/`
	// +kubebuilder:validation:MaxLength=2048
	Prefix string `json:"prefix,omitempty"`
	// +optional
	// +kubebuilder:validation:Pattern=`^/`
	// +kubebuilder:validation:MaxLength=2048
	Path string `json:"path,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Regex string `json:"regex,omitempty"`
	// RegexPriorityOrder orders routes whose regexes overlap.
	// +optional
	RegexPriorityOrder *int64 `json:"regexPriorityOrder,omitempty"`

	// PrefixRewrite replaces the matched prefix before proxying.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	PrefixRewrite string `json:"prefixRewrite,omitempty"`
	// RegexRewritePattern and RegexRewriteSubstitution rewrite the path.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RegexRewritePattern string `json:"regexRewritePattern,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RegexRewriteSubstitution string `json:"regexRewriteSubstitution,omitempty"`
	// HostRewrite sets the Host header sent upstream.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	HostRewrite string `json:"hostRewrite,omitempty"`
	// HostRewriteHeader takes the Host sent upstream from this header.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	HostRewriteHeader string `json:"hostRewriteHeader,omitempty"`
	// PreserveHostHeader passes the request's Host header upstream.
	// +optional
	PreserveHostHeader bool `json:"preserveHostHeader,omitempty"`

	// Policies are the policies the route uses besides the enforced ones.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	Policies []PolicyRef `json:"policies,omitempty"`
	// AllowPublicUnauthenticatedAccess lets anyone through.
	// +optional
	AllowPublicUnauthenticatedAccess bool `json:"allowPublicUnauthenticatedAccess,omitempty"`
	// AllowAnyAuthenticatedUser lets every signed-in user through.
	// +optional
	AllowAnyAuthenticatedUser bool `json:"allowAnyAuthenticatedUser,omitempty"`
	// CORSAllowPreflight lets CORS preflight requests through unauthenticated.
	// +optional
	CORSAllowPreflight bool `json:"corsAllowPreflight,omitempty"`
	// PassIdentityHeaders sends the user's identity upstream in headers.
	// +optional
	PassIdentityHeaders *bool `json:"passIdentityHeaders,omitempty"`
	// ShowErrorDetails shows policy details on error pages.
	// +optional
	ShowErrorDetails bool `json:"showErrorDetails,omitempty"`

	// Timeout and IdleTimeout bound upstream requests.
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// +optional
	IdleTimeout *metav1.Duration `json:"idleTimeout,omitempty"`
	// AllowWebsockets and AllowSPDY allow those upgrades.
	// +optional
	AllowWebsockets bool `json:"allowWebsockets,omitempty"`
	// +optional
	AllowSPDY bool `json:"allowSPDY,omitempty"`

	// SetRequestHeaders and RemoveRequestHeaders change the request sent
	// upstream; SetResponseHeaders the response sent back.
	// +optional
	// +kubebuilder:validation:MaxProperties=256
	SetRequestHeaders map[string]string `json:"setRequestHeaders,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxItems=256
	RemoveRequestHeaders []string `json:"removeRequestHeaders,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxProperties=256
	SetResponseHeaders map[string]string `json:"setResponseHeaders,omitempty"`

	// RewriteResponseHeaders rewrite headers of the upstream's response.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	RewriteResponseHeaders []RewriteHeader `json:"rewriteResponseHeaders,omitempty"`
	// AllowUpgrades lists other HTTP upgrades to allow (e.g. "CONNECT-UDP").
	// +optional
	// +kubebuilder:validation:MaxItems=16
	AllowUpgrades []string `json:"allowUpgrades,omitempty"`

	// TLS towards the upstream.
	// +optional
	TLS *RouteTLS `json:"tls,omitempty"`

	// DependsOn lists hosts the user must also be signed in to.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	DependsOn []string `json:"dependsOn,omitempty"`
	// JWTIssuerFormat is the format of the iss claim of the JWT Pomerium
	// sends upstream.
	// +optional
	// +kubebuilder:validation:Enum=IssuerHostOnly;IssuerURI
	JWTIssuerFormat string `json:"jwtIssuerFormat,omitempty"`
	// JWTGroupsFilter limits the groups in the JWT sent upstream.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	JWTGroupsFilter []string `json:"jwtGroupsFilter,omitempty"`
	// JWTGroupsFilterInferFromPPL adds the groups the route's policies name.
	// +optional
	JWTGroupsFilterInferFromPPL *bool `json:"jwtGroupsFilterInferFromPPL,omitempty"`
	// BearerTokenFormat says how Pomerium treats bearer tokens on the route.
	// +optional
	// +kubebuilder:validation:Enum=DEFAULT;IDP_ACCESS_TOKEN;IDP_IDENTITY_TOKEN
	BearerTokenFormat string `json:"bearerTokenFormat,omitempty"`
	// IDPAccessTokenAllowedAudiences accepts IdP access tokens for these
	// audiences.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	IDPAccessTokenAllowedAudiences []string `json:"idpAccessTokenAllowedAudiences,omitempty"`
	// EnableGoogleCloudServerlessAuthentication signs requests to Google
	// Cloud serverless upstreams.
	// +optional
	EnableGoogleCloudServerlessAuthentication bool `json:"enableGoogleCloudServerlessAuthentication,omitempty"`
	// CircuitBreakerThresholds bound the load sent upstream.
	// +optional
	CircuitBreakerThresholds *CircuitBreakerThresholds `json:"circuitBreakerThresholds,omitempty"`
	// HealthyPanicThreshold is the percentage of healthy upstreams below
	// which Envoy ignores health.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	HealthyPanicThreshold *int32 `json:"healthyPanicThreshold,omitempty"`
}

// RewriteHeader rewrites one response header: its value, or for a prefix
// the part of the value it starts with.
type RewriteHeader struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Header string `json:"header"`
	// +kubebuilder:validation:MaxLength=2048
	Value string `json:"value"`
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Prefix string `json:"prefix,omitempty"`
}

// CircuitBreakerThresholds are Envoy's circuit breaker limits.
type CircuitBreakerThresholds struct {
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxConnections *int64 `json:"maxConnections,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxPendingRequests *int64 `json:"maxPendingRequests,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxRequests *int64 `json:"maxRequests,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxRetries *int64 `json:"maxRetries,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxConnectionPools *int64 `json:"maxConnectionPools,omitempty"`
}

// RouteRedirect is a redirect answer.
type RouteRedirect struct {
	// +optional
	HTTPSRedirect *bool `json:"httpsRedirect,omitempty"`
	// +optional
	// +kubebuilder:validation:Enum=http;https
	SchemeRedirect string `json:"schemeRedirect,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	HostRedirect string `json:"hostRedirect,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	PortRedirect *int32 `json:"portRedirect,omitempty"`
	// +optional
	// +kubebuilder:validation:Pattern=`^/`
	PathRedirect string `json:"pathRedirect,omitempty"`
	// +optional
	PrefixRewrite string `json:"prefixRewrite,omitempty"`
	// ResponseCode is the HTTP status: 301, 302, 303, 307 or 308.
	// +optional
	// +kubebuilder:validation:Enum=301;302;303;307;308
	ResponseCode *int32 `json:"responseCode,omitempty"`
	// +optional
	StripQuery *bool `json:"stripQuery,omitempty"`
}

// RouteResponse is a fixed answer.
type RouteResponse struct {
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	Status int32 `json:"status"`
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Body string `json:"body,omitempty"`
}

// RouteTLS sets TLS towards the upstream. Certificates are console key
// pairs, named by id.
type RouteTLS struct {
	// +optional
	SkipVerify bool `json:"skipVerify,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ServerName string `json:"serverName,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	UpstreamServerName string `json:"upstreamServerName,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	DownstreamServerName string `json:"downstreamServerName,omitempty"`
	// CustomCAKeyPairID verifies the upstream with this key pair's certificate.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	CustomCAKeyPairID string `json:"customCAKeyPairID,omitempty"`
	// ClientKeyPairID authenticates to the upstream with this key pair.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	ClientKeyPairID string `json:"clientKeyPairID,omitempty"`
	// DownstreamClientCAKeyPairID requires client certificates signed by
	// this key pair's certificate.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	DownstreamClientCAKeyPairID string `json:"downstreamClientCAKeyPairID,omitempty"`
	// +optional
	UpstreamAllowRenegotiation bool `json:"upstreamAllowRenegotiation,omitempty"`
}

// PolicyRef names a policy: a Policy object in the route's Kubernetes
// namespace, or a console policy by id. Exactly one is set.
//
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.id)",message="set exactly one of name and id"
type PolicyRef struct {
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	ID string `json:"id,omitempty"`
}

// Route is a console route managed from Kubernetes.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=pomerium
// +kubebuilder:printcolumn:name="From",type=string,JSONPath=`.spec.from`
// +kubebuilder:printcolumn:name="To",type=string,JSONPath=`.spec.to[*]`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Route struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RouteSpec `json:"spec"`
	Status Status    `json:"status,omitempty"`
}

// RouteList is a list of routes.
//
// +kubebuilder:object:root=true
type RouteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Route `json:"items"`
}
