package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/server/auth"
)

func TestNoCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p, err := f.authenticate(http.Header{"X-Other": {"x"}})
	wantRefused(t, p, err, auth.ReasonNoCredentials, "no credentials: want an authorization header")
}

func TestMalformedHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		h    http.Header
		want string
	}{
		{"empty authorization", header(auth.AuthorizationHeader, " "), "authorization header: is empty"},
		{"no scheme", header(auth.AuthorizationHeader, "eyJhbGciOi.eyJzdWIiOi.c2ln"), `authorization header: has no scheme, want "Pomerium <token>" or "Bearer <token>"`},
		{"scheme only", header(auth.AuthorizationHeader, "Pomerium"), `authorization header: has no token after "Pomerium"`},
		{"scheme and spaces", header(auth.AuthorizationHeader, "Bearer   "), `authorization header: has no token after "Bearer"`},
		{"unsupported scheme", header(auth.AuthorizationHeader, "Basic YWxhZGRpbjpvcGVuc2VzYW1l"), `authorization header: scheme "Basic" is not supported, want Pomerium or Bearer`},
		{"two words", header(auth.AuthorizationHeader, "Bearer a b"), `authorization header: holds more than one word after "Bearer"`},
		{"twice", http.Header{auth.AuthorizationHeader: {"Bearer a", "Bearer b"}}, "authorization header: is set 2 times, want once"},
		{"not a JWT", header(auth.AuthorizationHeader, "Pomerium not-a-jwt"), "token in the authorization header: is not a valid JWT: token is malformed"},
		{"JWT of garbage", header(auth.AuthorizationHeader, "Pomerium e30.e30.e30"), "token in the authorization header: is not a valid JWT"},
		{"assertion not a JWT", assertion("garbage"), "Pomerium assertion: is not a valid JWT"},
		{"assertion twice", http.Header{auth.AssertionHeader: {"a", "b"}}, "X-Pomerium-Jwt-Assertion header: is set 2 times, want once"},
		{"assertion empty", assertion(" "), "X-Pomerium-Jwt-Assertion header: is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := f.authenticate(tc.h)
			wantRefused(t, p, err, auth.ReasonMalformed, tc.want)
		})
	}
}

func TestAuthorizationWinsOverAssertion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sa := f.serviceAccount("ci", time.Time{})
	h := bearer(f.serviceAccountToken(sa))
	h.Set(auth.AssertionHeader, sign(t, f.pomerium, "", f.claims()))
	p, err := f.authenticate(h)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != auth.KindServiceAccount {
		t.Errorf("Kind = %s, want %s", p.Kind, auth.KindServiceAccount)
	}
	// A bad authorization header is not rescued by a good assertion.
	h.Set(auth.AuthorizationHeader, "Basic x y")
	p, err = f.authenticate(h)
	wantRefused(t, p, err, auth.ReasonMalformed, "authorization header")
}

func TestPrincipalInContext(t *testing.T) {
	t.Parallel()
	if p, ok := auth.FromContext(t.Context()); ok {
		t.Errorf("FromContext of a bare context = %+v, true", p)
	}
	if p, ok := auth.FromContext(auth.WithPrincipal(t.Context(), nil)); ok {
		t.Errorf("FromContext after WithPrincipal(nil) = %+v, true", p)
	}
	want := &auth.Principal{Kind: auth.KindRecovery, Subject: "recovery:x"}
	got, ok := auth.FromContext(auth.WithPrincipal(context.WithoutCancel(t.Context()), want))
	if !ok || got != want {
		t.Errorf("FromContext = %+v, %v; want %+v", got, ok, want)
	}
}
