package memory

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// collection holds the live records of one type. Pomerium keeps records
// under keys of type and id and lists them in key order, so listings here
// are in id order; the order is worked out when a listing needs it after
// ids came or went, not on every write.
type collection struct {
	byID   map[string]*pb.Record
	sorted []string // ids in byte order, when not stale
	stale  bool
}

func newCollection() *collection {
	return &collection{byID: make(map[string]*pb.Record)}
}

// set stores r under its id, replacing the record there.
func (c *collection) set(r *pb.Record) {
	if _, ok := c.byID[r.GetId()]; !ok {
		c.stale = true
	}
	c.byID[r.GetId()] = r
}

// remove takes the record with id out and returns it.
func (c *collection) remove(id string) (*pb.Record, bool) {
	r, ok := c.byID[id]
	if ok {
		delete(c.byID, id)
		c.stale = true
	}
	return r, ok
}

func (c *collection) get(id string) (*pb.Record, bool) {
	r, ok := c.byID[id]
	return r, ok
}

func (c *collection) len() int { return len(c.byID) }

// all returns the records in id order.
func (c *collection) all() []*pb.Record {
	if c.stale {
		c.sorted = slices.Sorted(maps.Keys(c.byID))
		c.stale = false
	}
	out := make([]*pb.Record, len(c.sorted))
	for i, id := range c.sorted {
		out[i] = c.byID[id]
	}
	return out
}

// newestFirst returns the records by version, newest first: the order in
// which Pomerium counts them against a capacity.
func (c *collection) newestFirst() []*pb.Record {
	out := slices.Collect(maps.Values(c.byID))
	slices.SortFunc(out, func(a, b *pb.Record) int { return cmp.Compare(b.GetVersion(), a.GetVersion()) })
	return out
}

// sortedTypesLocked lists, sorted, the types that have live records: a type
// whose records were all deleted, or that only has options, is not one
// Pomerium lists.
func (s *Server) sortedTypesLocked() []string {
	return slices.Sorted(maps.Keys(s.types))
}

// putLocked gives r the next version and stores it. r becomes immutable.
func (s *Server) putLocked(r *pb.Record, now time.Time) {
	s.latestRecordVersion++
	r.Version = s.latestRecordVersion
	r.ModifiedAt = timestamppb.New(now)
	s.changes = append(s.changes, r)
	c, ok := s.types[r.GetType()]
	if !ok {
		c = newCollection()
		s.types[r.GetType()] = c
	}
	c.set(r)
}

// deleteLocked removes a live record. As in Pomerium, the change it leaves
// is the record as it was (its data included) stamped deleted and modified
// now, under the next version; deleting a record that is not there leaves
// no change and takes no version.
func (s *Server) deleteLocked(recordType, id string, now time.Time) {
	c, ok := s.types[recordType]
	if !ok {
		return
	}
	old, ok := c.remove(id)
	if !ok {
		return
	}
	if c.len() == 0 {
		delete(s.types, recordType)
	}
	s.latestRecordVersion++
	s.changes = append(s.changes, &pb.Record{
		Version:    s.latestRecordVersion,
		Type:       old.GetType(),
		Id:         old.GetId(),
		Data:       old.GetData(),
		ModifiedAt: timestamppb.New(now),
		DeletedAt:  timestamppb.New(now),
	})
}

// enforceCapacityLocked deletes the records of a type past its capacity
// option, as Pomerium does after a Put: counting from the newest, every
// record past the capacity goes, newest first.
func (s *Server) enforceCapacityLocked(recordType string, now time.Time) {
	opts, c := s.options[recordType], s.types[recordType]
	if opts == nil || opts.Capacity == nil || c == nil || uint64(c.len()) <= opts.GetCapacity() {
		return
	}
	for _, r := range c.newestFirst()[opts.GetCapacity():] {
		s.deleteLocked(recordType, r.GetId(), now)
	}
}

// trimLocked forgets changes older than the retention window (and past
// MaxChanges), and deletes the records that outlived their type's ttl
// option. Pomerium does both once a minute; doing them whenever the log is
// read or written gives the same answers without a background goroutine
// and lets an injected clock drive them.
func (s *Server) trimLocked(now time.Time) {
	s.expireLocked(now)
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

// expireLocked deletes, in id order, the records last written longer ago
// than their type's ttl, and wakes Sync streams when it did.
func (s *Server) expireLocked(now time.Time) {
	before := s.latestRecordVersion
	for _, recordType := range slices.Sorted(maps.Keys(s.options)) {
		ttl := s.options[recordType].GetTtl().AsDuration()
		c := s.types[recordType]
		if ttl <= 0 || c == nil {
			continue
		}
		cutoff := now.Add(-ttl)
		for _, r := range c.all() {
			if r.GetModifiedAt().AsTime().Before(cutoff) {
				s.deleteLocked(recordType, r.GetId(), now)
			}
		}
	}
	if s.latestRecordVersion != before {
		s.broadcastLocked()
	}
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
