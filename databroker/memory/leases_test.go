package memory

import (
	"testing"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestLeases(t *testing.T) {
	t.Parallel()
	h := start(t)
	const name = "pomerium-console-reconcile"
	ttl := durationpb.New(30 * time.Second)

	acquire := func() (string, error) {
		res, err := h.client.AcquireLease(h.ctx(t), &pb.AcquireLeaseRequest{Name: name, Duration: ttl})
		return res.GetId(), err
	}
	renew := func(id string) error {
		_, err := h.client.RenewLease(h.ctx(t), &pb.RenewLeaseRequest{Name: name, Id: id, Duration: ttl})
		return err
	}

	first, err := acquire()
	if err != nil || first == "" {
		t.Fatalf("acquire = %q, %v", first, err)
	}
	_, err = acquire()
	wantCode(t, err, codes.AlreadyExists)

	h.clock.Advance(20 * time.Second)
	if err := renew(first); err != nil {
		t.Fatalf("renew by holder: %v", err)
	}
	wantCode(t, renew("someone-else"), codes.AlreadyExists)

	// Renewed at +20s for 30s: still held at +45s, free after +50s.
	h.clock.Advance(25 * time.Second)
	_, err = acquire()
	wantCode(t, err, codes.AlreadyExists)
	h.clock.Advance(10 * time.Second)
	second, err := acquire()
	if err != nil {
		t.Fatalf("acquire after expiry: %v", err)
	}
	wantCode(t, renew(first), codes.AlreadyExists)

	// Releasing a lease one does not hold changes nothing.
	if _, err := h.client.ReleaseLease(h.ctx(t), &pb.ReleaseLeaseRequest{Name: name, Id: first}); err != nil {
		t.Fatalf("release by non-holder: %v", err)
	}
	_, err = acquire()
	wantCode(t, err, codes.AlreadyExists)

	if _, err := h.client.ReleaseLease(h.ctx(t), &pb.ReleaseLeaseRequest{Name: name, Id: second}); err != nil {
		t.Fatalf("release: %v", err)
	}
	third, err := acquire()
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}

	// An expired lease nobody took is granted back to its old id.
	h.clock.Advance(time.Minute)
	if err := renew(third); err != nil {
		t.Fatalf("renew of an expired, untaken lease: %v", err)
	}
}
