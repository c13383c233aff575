package databroker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ErrLeaseHeld is returned by AcquireLease when another holder has the lease.
var ErrLeaseHeld = errors.New("lease is held by another instance")

// Lease is a databroker lease this process holds. Its Context ends the moment
// the lease is lost (another holder took it, or it could not be renewed
// before it expired) or released: writes made under that context stop.
type Lease struct {
	Name string
	ID   string

	c      *Client
	ttl    time.Duration
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
	stop   chan struct{}
	once   sync.Once
}

// AcquireLease tries once to take the lease name for ttl and keeps renewing
// it in the background until Release or loss.
func (c *Client) AcquireLease(ctx context.Context, name string, ttl time.Duration) (*Lease, error) {
	res, err := c.rpc.AcquireLease(ctx, &pb.AcquireLeaseRequest{Name: name, Duration: durationpb.New(ttl)})
	if status.Code(err) == codes.AlreadyExists {
		return nil, ErrLeaseHeld
	}
	if err != nil {
		return nil, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	acquired := time.Now()
	lctx, cancel := context.WithCancelCause(context.Background())
	l := &Lease{Name: name, ID: res.Id, c: c, ttl: ttl, ctx: lctx, cancel: cancel, stop: make(chan struct{})}
	l.wg.Go(func() { l.renew(acquired) })
	return l, nil
}

// Context ends when the lease is lost or released; context.Cause says why.
func (l *Lease) Context() context.Context { return l.ctx }

// renew renews at a third of the lifetime, and after a renewal that failed
// every tenth of it, so that a databroker that does not answer for a moment
// costs no lease: a writer gives its lease up only when it could not renew
// it for nearly the whole lifetime. It gives the lease up as soon as the
// databroker says another holder has it, or when it can no longer be sure
// it still holds it.
func (l *Lease) renew(acquired time.Time) {
	expires := acquired.Add(l.ttl)
	t := time.NewTimer(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithDeadline(l.ctx, expires)
		sent := time.Now()
		_, err := l.c.rpc.RenewLease(ctx, &pb.RenewLeaseRequest{Name: l.Name, Id: l.ID, Duration: durationpb.New(l.ttl)})
		cancel()
		switch {
		case err == nil:
			expires = sent.Add(l.ttl)
			t.Reset(l.ttl / 3)
		case status.Code(err) == codes.AlreadyExists:
			l.cancel(fmt.Errorf("lease %s lost: %w", l.Name, ErrLeaseHeld))
			return
		case !time.Now().Before(expires):
			l.cancel(fmt.Errorf("lease %s expired before it could be renewed: %w", l.Name, err))
			return
		default:
			l.c.log.Error(err, "renew lease; retrying before it expires", "lease", l.Name, "expires", expires)
			t.Reset(min(l.ttl/10, time.Until(expires)))
		}
	}
}

// Release gives the lease up so that another instance can take over at once
// instead of waiting for it to expire.
func (l *Lease) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		lost := l.ctx.Err() != nil
		l.cancel(errors.New("lease released"))
		if lost {
			return
		}
		_, err = l.c.rpc.ReleaseLease(ctx, &pb.ReleaseLeaseRequest{Name: l.Name, Id: l.ID})
		if err != nil {
			err = fmt.Errorf("release lease %s: %w", l.Name, err)
		}
	})
	return err
}
