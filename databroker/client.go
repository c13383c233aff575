package databroker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// retryPolicy makes gRPC itself retry calls the server refused as
// Unavailable (a restarting databroker, a connection being replaced), with
// backoff. Longer outages surface as errors and the caller retries later.
const retryPolicy = `{"methodConfig": [{
  "name": [{"service": "databroker.DataBrokerService"}],
  "retryPolicy": {
    "maxAttempts": 5,
    "initialBackoff": "0.1s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"]
  }
}]}`

// ErrReset is returned by Sync when the databroker no longer has the changes
// asked for: it restarted (new server version) or trimmed its change log. The
// caller must read everything again with SyncLatest.
var ErrReset = errors.New("databroker reset: server version changed or change log trimmed")

// Options configure Dial.
type Options struct {
	// URL is databroker_service_url: http:// dials plaintext, https:// TLS.
	URL string
	// SharedSecret is the decoded shared_secret that signs every call.
	SharedSecret []byte
	// RootCAs verifies the databroker's certificate over https; nil means
	// the system roots.
	RootCAs *x509.CertPool
	// ServerName, when set, is the name the databroker's certificate must
	// carry instead of the URL's host.
	ServerName string
	// InsecureSkipVerify accepts any certificate of the databroker.
	InsecureSkipVerify bool
	// DialOptions are added to the client's own, after them: a test or
	// benchmark instruments calls with an interceptor.
	DialOptions []grpc.DialOption
	Logger      logr.Logger
}

// Client talks to a databroker.
type Client struct {
	conn *grpc.ClientConn
	rpc  pb.DataBrokerServiceClient
	log  logr.Logger
}

// Dial prepares a client; the connection is made lazily by gRPC.
func Dial(opts Options) (*Client, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("databroker_service_url: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("databroker_service_url: %q has no host", opts.URL)
	}
	if len(opts.SharedSecret) == 0 {
		return nil, errors.New("shared_secret is required to talk to the databroker")
	}
	var transport credentials.TransportCredentials
	switch u.Scheme {
	case "http":
		transport = insecure.NewCredentials()
	case "https":
		transport = credentials.NewTLS(&tls.Config{RootCAs: opts.RootCAs, ServerName: opts.ServerName,
			InsecureSkipVerify: opts.InsecureSkipVerify, MinVersion: tls.VersionTLS12}) //nolint:gosec // the cluster's own choice, off unless asked for
	default:
		return nil, fmt.Errorf("databroker_service_url: scheme %q is not http or https", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
	}
	conn, err := grpc.NewClient(host, append([]grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithPerRPCCredentials(tokenCredentials{secret: opts.SharedSecret}),
		grpc.WithDefaultServiceConfig(retryPolicy),
		// gRPC's default reconnect backoff grows to two minutes; a restarted
		// databroker should be found again within seconds.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{
			BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second,
		}, MinConnectTimeout: 5 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}, opts.DialOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("databroker client: %w", err)
	}
	return &Client{conn: conn, rpc: pb.NewDataBrokerServiceClient(conn), log: opts.Logger}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// RPC returns the raw service client.
func (c *Client) RPC() pb.DataBrokerServiceClient { return c.rpc }

// tokenCredentials signs a fresh token for every call.
type tokenCredentials struct{ secret []byte }

func (t tokenCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	tok, err := SignToken(t.secret, time.Now())
	if err != nil {
		return nil, err
	}
	return map[string]string{MetadataKey: tok}, nil
}

// RequireTransportSecurity is false: the embedded databroker and in-cluster
// peers are reached over plaintext loopback or pod networks.
func (tokenCredentials) RequireTransportSecurity() bool { return false }

// ServerInfo returns the databroker's server version and record versions.
func (c *Client) ServerInfo(ctx context.Context) (*pb.ServerInfoResponse, error) {
	return c.rpc.ServerInfo(ctx, &emptypb.Empty{})
}

// Put writes records in as few requests as fit under the message limit and
// returns the databroker's answer, in order: the stored records with their
// new versions but without their data, which the caller sent (see
// putCodec), and deletes as they were sent (Pomerium answers a delete
// without a version; the version it took shows in the Sync stream).
func (c *Client) Put(ctx context.Context, records []*pb.Record) ([]*pb.Record, error) {
	out := make([]*pb.Record, 0, len(records))
	err := c.PutEach(ctx, records, func(rec *pb.Record) { out = append(out, rec) })
	return out, err
}

// PutEach is Put handing each stored record to fn as its batch is answered,
// so that a large write does not hold every answer at once.
func (c *Client) PutEach(ctx context.Context, records []*pb.Record, fn func(*pb.Record)) error {
	for _, req := range pb.OptimumPutRequestsFromRecords(records) {
		// A lost lease cancels ctx: check between batches so that a writer
		// that is no longer the leader stops at once.
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := c.rpc.Put(ctx, req, grpc.ForceCodecV2(newPutCodec()))
		if err != nil {
			return fmt.Errorf("put %d records: %w", len(req.Records), err)
		}
		for _, rec := range res.Records {
			fn(rec)
		}
	}
	return nil
}

// Versions are where a SyncLatest left off.
type Versions struct {
	ServerVersion uint64
	RecordVersion uint64
}

// SyncLatest streams every live record of recordType to fn and returns the
// versions to continue from with Sync.
func (c *Client) SyncLatest(ctx context.Context, recordType string, fn func(*pb.Record)) (Versions, error) {
	stream, err := c.rpc.SyncLatest(ctx, &pb.SyncLatestRequest{Type: recordType})
	if err != nil {
		return Versions{}, fmt.Errorf("sync latest %s: %w", recordType, err)
	}
	var v Versions
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return v, nil
		}
		if err != nil {
			return Versions{}, fmt.Errorf("sync latest %s: %w", recordType, err)
		}
		switch r := res.Response.(type) {
		case *pb.SyncLatestResponse_Record:
			fn(r.Record)
		case *pb.SyncLatestResponse_Versions:
			v = Versions{ServerVersion: r.Versions.ServerVersion, RecordVersion: r.Versions.LatestRecordVersion}
		}
	}
}

// SyncHandler takes what a Sync stream brings.
type SyncHandler struct {
	// Record takes each record decoded; its error ends the stream. It is
	// required.
	Record func(*pb.Record) error
	// Held, when set, is asked about a live record of the stream before
	// it is decoded (one of the stream's type, in the form encoders write:
	// see syncCodec): true says the caller holds the record of that id at
	// that version or a later one, and the record goes to Skipped instead,
	// undecoded. id is valid only during the call.
	Held func(id []byte, version uint64) bool
	// Skipped takes the version of each record Held said was held.
	Skipped func(version uint64)
}

// Sync streams changes of recordType after from.RecordVersion to h until
// ctx ends or the stream fails. It returns ErrReset when the databroker
// cannot serve changes from there; h.Record's error ends the stream and is
// returned.
func (c *Client) Sync(ctx context.Context, recordType string, from Versions, h SyncHandler) error {
	codec := newSyncCodec(recordType, h.Held)
	stream, err := c.rpc.Sync(ctx, &pb.SyncRequest{
		ServerVersion: from.ServerVersion, RecordVersion: from.RecordVersion, Type: recordType,
	}, grpc.ForceCodecV2(codec))
	if err != nil {
		return syncError(recordType, err)
	}
	for {
		res, err := stream.Recv()
		if err != nil {
			return syncError(recordType, err)
		}
		if codec.skipped != 0 {
			if h.Skipped != nil {
				h.Skipped(codec.skipped)
			}
			continue
		}
		if r, ok := res.Response.(*pb.SyncResponse_Record); ok {
			if err := h.Record(r.Record); err != nil {
				return err
			}
		}
	}
}

func syncError(recordType string, err error) error {
	if status.Code(err) == codes.Aborted {
		return fmt.Errorf("sync %s: %w (%v)", recordType, ErrReset, err)
	}
	return fmt.Errorf("sync %s: %w", recordType, err)
}
