package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/store"
)

// pomeriumKey stands for Pomerium's signing key; the console is given its
// public half as signing_key.
var pomeriumKey, pomeriumPublicKeyPEM = func() (*ecdsa.PrivateKey, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}()

// assertion is the X-Pomerium-Jwt-Assertion Pomerium sends for a user.
func assertion(t *testing.T, aud, sub, email string, groups ...string) string {
	t.Helper()
	return signAssertion(t, jwt.MapClaims{"aud": aud, "sub": sub, "email": email, "groups": groups})
}

// signAssertion signs claims as Pomerium signs its assertion, valid for
// five minutes from now.
func signAssertion(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	claims["iat"], claims["exp"] = time.Now().Unix(), time.Now().Add(5*time.Minute).Unix()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(pomeriumKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// viaPomerium is a Connect client option sending a user's assertion, as
// Pomerium does in front of the console.
func viaPomerium(jwt string) connect.ClientOption {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("X-Pomerium-Jwt-Assertion", jwt)
			return next(ctx, req)
		}
	}))
}

// TestUserThroughPomerium checks the way people reach the API: Pomerium's
// assertion identifies the user, roles come from a group permission, and
// the user becomes known to UserService.
func TestUserThroughPomerium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.NamespacePermission{
		ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, SubjectType: store.SubjectGroup, SubjectID: "devs", Role: store.RoleManager}, 0); err != nil {
		t.Fatal(err)
	}
	routes := func(jwt string) dashboardpbconnect.RouteServiceClient {
		return dashboardpbconnect.NewRouteServiceClient(e.http, e.url, connect.WithProtoJSON(), viaPomerium(jwt))
	}
	dev := assertion(t, audience, "u-1", "dev@example.com", "devs")
	if _, err := routes(dev).SetRoute(e.ctx, connect.NewRequest(&pb.SetRouteRequest{Route: newRoute(team.ID, "app", "https://app.example.com")})); err != nil {
		t.Fatalf("a member of devs writing a route in Team: %v", err)
	}
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{Subject: "dev@example.com"})
	if err != nil || page.TotalCount != 1 {
		t.Fatalf("the write is not logged as dev@example.com: %v, %v", page, err)
	}
	_, err = routes(assertion(t, audience, "u-2", "someone@example.com")).SetRoute(e.ctx, connect.NewRequest(&pb.SetRouteRequest{Route: newRoute(team.ID, "b", "https://b.example.com")}))
	wantCode(t, "a user without groups writing in Team", err, connect.CodeNotFound, "")
	_, err = routes(assertion(t, "other.example.com", "u-1", "dev@example.com", "devs")).ListRoutes(e.ctx, connect.NewRequest(&pb.ListRoutesRequest{Namespace: team.ID}))
	wantCode(t, "an assertion for another audience", err, connect.CodeUnauthenticated, "audience")

	info, err := dashboardpbconnect.NewUserServiceClient(e.http, e.url, connect.WithProtoJSON(), viaPomerium(dev)).
		GetUserInfo(e.ctx, connect.NewRequest(&pb.GetUserInfoRequest{}))
	if err != nil || info.Msg.UserInfo.Email != "dev@example.com" || info.Msg.UserInfo.NamespaceRoles[team.ID] != "manager" {
		t.Fatalf("user info: %v, %v", info, err)
	}
	users, _, err := e.store.Users(e.ctx, store.UserQuery{IDs: []string{"u-1"}})
	if err != nil || len(users) != 1 || users[0].Email != "dev@example.com" {
		t.Fatalf("the user was not recorded: %v, %v", users, err)
	}
}
