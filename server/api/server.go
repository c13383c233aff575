package api

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/store"
)

// Authenticator identifies callers and issues the console's tokens.
type Authenticator interface {
	Authenticate(ctx context.Context, h http.Header) (*auth.Principal, error)
	IssueServiceAccountToken(ctx context.Context, sa *store.ServiceAccount) (string, error)
}

// Options configure the API.
type Options struct {
	// App is the use cases the services convert requests for.
	App    *manage.App
	Auth   Authenticator
	Logger logr.Logger
	// Version is the console's version, which GetServerInfo reports.
	Version string
	// AuthLimit limits, per client address, calls whose credentials fail;
	// nil leaves them unlimited. The web console's sign-in shares it.
	AuthLimit *ratelimit.Limiter
}

// Server implements the services of the API: each converts its request,
// calls the use case and converts the answer or the refusal.
type Server struct {
	app     *manage.App
	auth    Authenticator
	log     logr.Logger
	version string
	limit   *ratelimit.Limiter
}

// New returns the API server.
func New(o Options) *Server {
	return &Server{app: o.App, auth: o.Auth, log: o.Logger, version: o.Version, limit: o.AuthLimit}
}

// MaxRequestBytes bounds the size of a request body, on every protocol
// (gRPC, gRPC-Web, Connect): reading past it fails, which Connect answers
// with ResourceExhausted. It is above the size of any one
// object the store takes (store.MaxObjectSize; a 10 MiB field is refused
// by name) and leaves room for LoadRoutes of a large configuration file,
// whose whole text is one message.
const MaxRequestBytes = 32 << 20

// Handler returns every service of the API with gRPC server reflection and
// the standard health service, on one mux.
func (s *Server) Handler() http.Handler {
	opts := connect.WithInterceptors(s.recoverInterceptor(), s.authInterceptor(), requestKeyInterceptor())
	opts = connect.WithOptions(opts, codecs())
	mux := http.NewServeMux()
	for _, register := range []func() (string, http.Handler){
		func() (string, http.Handler) {
			return dashboardpbconnect.NewNamespaceServiceHandler(&namespaces{s}, opts)
		},
		func() (string, http.Handler) { return dashboardpbconnect.NewPolicyServiceHandler(&policies{s}, opts) },
		func() (string, http.Handler) { return dashboardpbconnect.NewRouteServiceHandler(&routes{s}, opts) },
		func() (string, http.Handler) {
			return dashboardpbconnect.NewClustersServiceHandler(&clusters{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewExternalDataSourceServiceHandler(&dataSources{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewDeviceServiceHandler(&devices{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewPomeriumSessionServiceHandler(&sessions{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewSettingsServiceHandler(&settings{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewPomeriumServiceAccountServiceHandler(&serviceAccounts{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewNamespacePermissionServiceHandler(&permissions{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewKeyChainServiceHandler(&keyChain{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewActivityLogServiceHandler(&activityLog{s}, opts)
		},
		func() (string, http.Handler) {
			return dashboardpbconnect.NewUserServiceHandler(&users{s}, opts)
		},
		func() (string, http.Handler) {
			return configpbconnect.NewConfigServiceHandler(&configService{Server: s, version: s.version}, opts)
		},
	} {
		path, h := register()
		mux.Handle(path, h)
	}
	names := builtServices()
	reflector := grpcreflect.NewStaticReflector(names...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(names...)))
	return http.MaxBytesHandler(mux, MaxRequestBytes)
}

// builtServices names the services the API implements.
func builtServices() []string {
	return []string{
		dashboardpbconnect.NamespaceServiceName, dashboardpbconnect.PolicyServiceName, dashboardpbconnect.RouteServiceName,
		dashboardpbconnect.PomeriumServiceAccountServiceName,
		dashboardpbconnect.NamespacePermissionServiceName,
		dashboardpbconnect.UserServiceName,
		dashboardpbconnect.SettingsServiceName,
		dashboardpbconnect.KeyChainServiceName,
		dashboardpbconnect.ActivityLogServiceName,
		dashboardpbconnect.ClustersServiceName,
		dashboardpbconnect.ExternalDataSourceServiceName,
		dashboardpbconnect.DeviceServiceName,
		dashboardpbconnect.PomeriumSessionServiceName,
		configpbconnect.ConfigServiceName,
	}
}
