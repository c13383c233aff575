package memory

import (
	"container/list"
	"maps"
	"slices"
	"sort"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// collection holds the live records of one type in insertion order, which
// is the order Pomerium lists them in and the order capacity evicts them:
// rewriting a record moves it to the end.
type collection struct {
	byID  map[string]*list.Element
	order *list.List
}

func newCollection() *collection {
	return &collection{byID: make(map[string]*list.Element), order: list.New()}
}

// put replaces the record with r's id; a tombstone just removes it, so
// deleted records are invisible to Get, Query and SyncLatest.
func (c *collection) put(r *pb.Record) {
	if el, ok := c.byID[r.GetId()]; ok {
		c.order.Remove(el)
		delete(c.byID, r.GetId())
	}
	if r.GetDeletedAt() != nil {
		return
	}
	c.byID[r.GetId()] = c.order.PushBack(r)
}

func (c *collection) get(id string) (*pb.Record, bool) {
	el, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	return el.Value.(*pb.Record), true
}

func (c *collection) len() int { return c.order.Len() }

func (c *collection) oldest() *pb.Record {
	return c.order.Front().Value.(*pb.Record)
}

func (c *collection) all() []*pb.Record {
	out := make([]*pb.Record, 0, c.order.Len())
	for el := c.order.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*pb.Record))
	}
	return out
}

// collectionLocked returns the collection of a type, creating it: Pomerium
// lists a type from its first write (even a tombstone) or SetOptions on.
func (s *Server) collectionLocked(recordType string) *collection {
	c, ok := s.types[recordType]
	if !ok {
		c = newCollection()
		s.types[recordType] = c
	}
	return c
}

func (s *Server) sortedTypesLocked() []string {
	return slices.Sorted(maps.Keys(s.types))
}

// storeLocked gives r the next version and stores it. r becomes immutable.
func (s *Server) storeLocked(r *pb.Record, now time.Time) {
	s.latestRecordVersion++
	r.Version = s.latestRecordVersion
	r.ModifiedAt = timestamppb.New(now)
	s.changes = append(s.changes, r)
	s.collectionLocked(r.GetType()).put(r)
}

// enforceCapacityLocked deletes the oldest records of a type past its
// capacity option, each as a tombstone that Sync streams like any delete.
func (s *Server) enforceCapacityLocked(recordType string, now time.Time) {
	opts, c := s.options[recordType], s.types[recordType]
	if opts == nil || opts.Capacity == nil || c == nil {
		return
	}
	for uint64(c.len()) > opts.GetCapacity() {
		old := c.oldest()
		s.storeLocked(&pb.Record{
			Type:      old.GetType(),
			Id:        old.GetId(),
			Data:      old.GetData(),
			DeletedAt: timestamppb.New(now),
		}, now)
	}
}

// trimLocked forgets changes older than the retention window (and past
// MaxChanges). Pomerium trims once a minute; trimming whenever the log is
// read or written gives the same answers without a background goroutine
// and lets an injected clock drive it.
func (s *Server) trimLocked(now time.Time) {
	cutoff := now.Add(-s.retention)
	n := sort.Search(len(s.changes), func(i int) bool {
		return !s.changes[i].GetModifiedAt().AsTime().Before(cutoff)
	})
	if s.maxChanges > 0 && len(s.changes)-n > s.maxChanges {
		n = len(s.changes) - s.maxChanges
	}
	if n == 0 {
		return
	}
	s.earliestRecordVersion = s.changes[n-1].GetVersion() + 1
	clear(s.changes[:n])
	s.changes = s.changes[n:]
}

// changesAfterLocked looks at up to limit retained changes with a version
// above after and returns those of recordType (every type if empty), with
// the version of the last change it looked at, where the next call resumes.
// The limit bounds how long a stream holds the lock.
func (s *Server) changesAfterLocked(recordType string, after uint64, limit int) ([]*pb.Record, uint64) {
	i := sort.Search(len(s.changes), func(i int) bool {
		return s.changes[i].GetVersion() > after
	})
	var out []*pb.Record
	last := after
	for end := min(i+limit, len(s.changes)); i < end; i++ {
		r := s.changes[i]
		last = r.GetVersion()
		if recordType == "" || r.GetType() == recordType {
			out = append(out, r)
		}
	}
	return out, last
}

// broadcastLocked wakes every Sync stream waiting for changes.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
