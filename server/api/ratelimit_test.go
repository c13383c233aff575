package api_test

import (
	"crypto/tls"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/testclock"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/ratelimit"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestFailedAuthenticationsAreLimitedPerAddress spends an address's
// attempts with wrong tokens over gRPC: its next call, with a good token,
// is refused with ResourceExhausted, the wait in the message and in
// RetryInfo, and over Connect's HTTP/1.1 with 429 and Retry-After; good
// calls from another address go through, never count, and the first
// address is served again once the wait is over. The clients come through
// a trusted proxy (the test's loopback) that names them in
// X-Forwarded-For.
func TestFailedAuthenticationsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	limit := ratelimit.New(ratelimit.Options{Burst: 3, Every: 20 * time.Second, Now: clock.Now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	ts, conn, roots := serveTLS(t, api.New(api.Options{
		App: manage.New(manage.Options{Store: e.store, Tokens: e.auth, Logger: logFor(t)}), Auth: e.auth, Logger: logFor(t), AuthLimit: limit,
	}).Handler())
	client := dashboardpb.NewNamespaceServiceClient(conn)
	good := e.account(store.RoleViewer, store.GlobalNamespaceID)
	call := func(from, token string) error {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "x-forwarded-for", from)
		if token != "" {
			ctx = as(ctx, token)
		}
		_, err := client.ListNamespaces(ctx, &dashboardpb.ListNamespacesRequest{})
		return err
	}
	const attacker, other = "203.0.113.7", "198.51.100.9"
	for i := range 10 {
		if err := call(other, good); err != nil {
			t.Fatalf("good call %d: %v", i+1, err)
		}
	}
	for i, token := range []string{"not-a-token", "", good + "x"} {
		if err := call(attacker, token); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("failed attempt %d: %v, want Unauthenticated", i+1, err)
		}
	}
	err := call(attacker, good)
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "try again in 20 seconds") {
		t.Fatalf("attempt 4: %v, want ResourceExhausted saying to try again in 20 seconds", err)
	}
	var delay time.Duration
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.RetryInfo); ok {
			delay = info.GetRetryDelay().AsDuration()
		}
	}
	if delay != 20*time.Second {
		t.Errorf("RetryInfo delay = %s, want 20s", delay)
	}
	// The same refusal over Connect's JSON on HTTP/1.1.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/pomerium.dashboard.NamespaceService/ListNamespaces", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Pomerium "+good)
	req.Header.Set("X-Forwarded-For", attacker)
	res, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "20" {
		t.Errorf("Connect/JSON: status %d, Retry-After %q, want 429 and 20", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if err := call(other, good); err != nil {
		t.Fatalf("another address while the first waits: %v", err)
	}
	clock.Advance(20 * time.Second)
	if err := call(attacker, good); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}
