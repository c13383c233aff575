package api_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

// bootstrapSub is the sub of every bootstrap token Pomerium's Terraform
// provider signs.
const bootstrapSub = "bootstrap-014e587b-3f4b-4fcf-90a9-f6ecdf8154af.pomerium"

// providerBootstrapToken is the token Pomerium's Terraform provider sends
// when configured with shared_secret_b64: HS256 with the decoded secret,
// typ JWT, jti and sub fixed, iat and nbf now (nbf - 1s from its SDK), no
// exp.
func providerBootstrapToken(t *testing.T, secret []byte, now time.Time, nbf time.Duration) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		ID: "014e587b-3f4b-4fcf-90a9-f6ecdf8154af", Subject: bootstrapSub,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(nbf)),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sdkHeaders is a Connect client option that sends what Pomerium's SDK
// sends on GetServerInfo: the token as "authorization: Pomerium", and a
// databroker token (HS256, only exp) in the jwt header.
func sdkHeaders(token, databroker string) connect.ClientOption {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Pomerium "+token)
			req.Header().Set("Jwt", databroker)
			return next(ctx, req)
		}
	}))
}

func sharedSecret(t *testing.T) []byte {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestBootstrapToken: the provider's bootstrap token is a Global admin on
// both transports, beside a jwt header too, and the activity log names it
// by its sub.
func TestBootstrapToken(t *testing.T) {
	t.Parallel()
	secret := sharedSecret(t)
	e := newEnv(t, func(o *auth.Options) { o.SharedSecret = secret })
	now := time.Now()
	databroker, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]namespaceAPI{
		"grpc":         e.namespaceAPI("grpc", providerBootstrapToken(t, secret, now, 0)),
		"connect-json": e.namespaceAPI("connect-json", providerBootstrapToken(t, secret, now, -time.Second)),
	}
	sdk := dashboardpbconnect.NewNamespaceServiceClient(e.http, e.url, sdkHeaders(providerBootstrapToken(t, secret, now, -time.Second), databroker))
	clients["connect-proto with jwt header"] = namespaceAPI{set: viaConnect(sdk.SetNamespace)}
	for name, api := range clients {
		set, err := api.set(e.ctx, &pb.SetNamespaceRequest{Namespace: &pb.Namespace{ParentId: store.GlobalNamespaceID, Name: "by " + name}})
		if err != nil {
			t.Fatalf("%s: create a namespace below Global as the bootstrap token: %v", name, err)
		}
		entries, err := e.activityAPI("grpc", e.adminToken()).list(e.ctx, &pb.ListActivityLogEntriesRequest{EntityId: &set.Namespace.Id})
		if err != nil || len(entries.Entries) != 1 || entries.Entries[0].UserId != bootstrapSub {
			t.Fatalf("%s: activity of the new namespace: %v, %v; want one entry by %s", name, entries, err, bootstrapSub)
		}
	}
	if id, err := e.whoAmI("grpc", providerBootstrapToken(t, secret, now, 0)); err != nil || id != bootstrapSub {
		t.Errorf("user info of the bootstrap token: %q, %v; want %s", id, err, bootstrapSub)
	}
	// The SDK's first call: GetServerInfo over Connect's binary protocol,
	// with the databroker token in the jwt header.
	config := configpbconnect.NewConfigServiceClient(e.http, e.url, sdkHeaders(providerBootstrapToken(t, secret, now, -time.Second), databroker))
	info, err := config.GetServerInfo(e.ctx, connect.NewRequest(&configpb.GetServerInfoRequest{}))
	if err != nil || info.Msg.GetServerType() != configpb.ServerType_SERVER_TYPE_ENTERPRISE {
		t.Errorf("GetServerInfo as the SDK calls it: %v, %v", info, err)
	}
}

func TestBootstrapTokenRefused(t *testing.T) {
	t.Parallel()
	secret := sharedSecret(t)
	with := newEnv(t, func(o *auth.Options) { o.SharedSecret = secret })
	without := newEnv(t)
	now := time.Now()
	for _, tc := range []struct {
		name  string
		e     *env
		token string
		want  string
	}{
		{"no shared secret", without, providerBootstrapToken(t, secret, now, 0), "bootstrap token: is signed with HS256, and the console accepts that only for the bootstrap token of its shared_secret, which is not configured"},
		{"another secret", with, providerBootstrapToken(t, sharedSecret(t), now, 0), "bootstrap token: signature does not verify with the shared_secret"},
		{"nbf in the future", with, providerBootstrapToken(t, secret, now, 10*time.Minute), "bootstrap token: is not valid before "},
	} {
		for _, transport := range transports {
			_, err := tc.e.namespaceAPI(transport, tc.token).list(tc.e.ctx, &pb.ListNamespacesRequest{})
			wantCode(t, transport+": "+tc.name, err, connect.CodeUnauthenticated, tc.want)
		}
	}
	// The jwt header alone authenticates nobody, whatever it holds.
	jwtOnly := dashboardpbconnect.NewNamespaceServiceClient(with.http, with.url, connect.WithInterceptors(connect.UnaryInterceptorFunc(
		func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set(auth.JWTHeader, providerBootstrapToken(t, secret, now, 0))
				return next(ctx, req)
			}
		})))
	_, err := jwtOnly.ListNamespaces(with.ctx, connect.NewRequest(&pb.ListNamespacesRequest{}))
	wantCode(t, "jwt header alone", err, connect.CodeUnauthenticated, "jwt header: is not a credential on its own")
}
