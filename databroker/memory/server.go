package memory

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-logr/logr"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
)

// Pomerium's backend server trims the change log of changes older than an
// hour; clients that fall further behind must read everything again.
const defaultChangeLogRetention = time.Hour

// maxRecvMsgSize is gRPC's default server limit, which Pomerium keeps; it is
// set explicitly so that a client batching Puts is tested against the same
// ceiling it will meet in production.
const maxRecvMsgSize = 4 << 20

// Options configure New.
type Options struct {
	// SharedSecret is the decoded shared_secret every call's token must be
	// signed with. Empty refuses every call, as Pomerium does before it has
	// a shared key.
	SharedSecret []byte
	// Clock stamps modified_at and decides lease expiry, token expiry and
	// change-log trimming. Nil means time.Now.
	Clock func() time.Time
	// ChangeLogRetention is how long a change stays available to Sync.
	// Zero means one hour, like Pomerium.
	ChangeLogRetention time.Duration
	// MaxChanges, if positive, also caps the number of retained changes.
	// Pomerium has no such cap; it bounds memory on a busy trial server.
	MaxChanges int
	// Logger gets start and clear events at V(0), writes and refused
	// tokens at V(1). The zero value discards.
	Logger logr.Logger
}

// Server is an in-memory databroker. The zero value is not usable; call New.
type Server struct {
	secret     []byte
	clock      func() time.Time
	retention  time.Duration
	maxChanges int
	log        logr.Logger
	grpc       *grpc.Server

	mu sync.RWMutex
	// serverVersion identifies this server's record history: it changes on
	// start and on Clear, and a Sync that names another one is refused.
	serverVersion         uint64
	earliestRecordVersion uint64
	latestRecordVersion   uint64
	types                 map[string]*collection
	options               map[string]*pb.Options
	// changes holds every stored record version in version order, tombstones
	// included, until trimmed. Records are never modified once stored, so
	// the same pointers are shared with collections, streams and responses.
	changes []*pb.Record
	leases  map[string]lease
	// checkpoint is what SetCheckpoint stored; Pomerium keeps it with the
	// records, so Clear resets it.
	checkpointServerVersion uint64
	checkpointRecordVersion uint64
	// changed is closed and replaced on every write to wake Sync streams.
	changed chan struct{}
	// cleared is closed and replaced on Clear to end open Sync streams,
	// whose record versions no longer mean anything.
	cleared chan struct{}
}

var (
	_ pb.DataBrokerServiceServer = (*Server)(nil)
	_ pb.CheckpointServiceServer = (*Server)(nil)
)

// New returns a Server with an empty store and a fresh server version.
func New(opts Options) *Server {
	s := &Server{
		secret:     append([]byte(nil), opts.SharedSecret...),
		clock:      opts.Clock,
		retention:  opts.ChangeLogRetention,
		maxChanges: opts.MaxChanges,
		log:        opts.Logger,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.retention <= 0 {
		s.retention = defaultChangeLogRetention
	}
	if s.log.GetSink() == nil {
		s.log = logr.Discard()
	}
	s.resetLocked()
	s.options = presetOptions()
	s.leases = make(map[string]lease)
	s.changed = make(chan struct{})
	s.cleared = make(chan struct{})
	s.grpc = grpc.NewServer(grpc.MaxRecvMsgSize(maxRecvMsgSize))
	s.Register(s.grpc)
	return s
}

// Register adds the databroker and checkpoint services to gs, with the
// token check wrapped around every handler so that it holds whatever
// interceptors gs was built with.
func (s *Server) Register(gs *grpc.Server) {
	gs.RegisterService(s.authorized(&pb.DataBrokerService_ServiceDesc), s)
	gs.RegisterService(s.authorized(&pb.CheckpointService_ServiceDesc), s)
}

// Serve answers plaintext gRPC on lis until Stop. Plaintext is meant for
// loopback: the token authenticates callers but nothing encrypts records.
func (s *Server) Serve(lis net.Listener) error {
	s.log.Info("embedded databroker serving", "addr", lis.Addr().String(), "serverVersion", s.ServerVersion())
	if err := s.grpc.Serve(lis); err != nil {
		return fmt.Errorf("serve databroker: %w", err)
	}
	return nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the bound address, useful when addr asked for any port.
func (s *Server) Start(addr string) (net.Addr, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for databroker: %w", err)
	}
	go func() {
		if err := s.Serve(lis); err != nil {
			s.log.Error(err, "embedded databroker stopped")
		}
	}()
	return lis.Addr(), nil
}

// Stop closes every connection of the server Serve or Start runs, which
// ends open streams; a grpc.Server given to Register is the caller's to stop.
// The store is gone with the Server: a new one starts empty, under a new
// server version.
func (s *Server) Stop() {
	s.grpc.Stop()
}

// ServerVersion returns the current server version.
func (s *Server) ServerVersion() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.serverVersion
}

// resetLocked empties the store under a new server version.
func (s *Server) resetLocked() {
	s.serverVersion = newServerVersion()
	s.earliestRecordVersion = 0
	s.latestRecordVersion = 0
	s.types = make(map[string]*collection)
	s.options = make(map[string]*pb.Options)
	s.changes = nil
	s.checkpointServerVersion = 0
	s.checkpointRecordVersion = 0
}

// newServerVersion draws a random version so that a client can tell a
// restarted server from the one it synced with. Zero is skipped because
// clients use it to mean "never synced".
func newServerVersion() uint64 {
	var b [8]byte
	for {
		// crypto/rand.Read never returns an error (Go 1.24+).
		_, _ = rand.Read(b[:])
		if v := binary.BigEndian.Uint64(b[:]); v != 0 {
			return v
		}
	}
}
