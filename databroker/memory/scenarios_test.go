package memory_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func tombstone(recordType, id string) *pb.Record {
	r := record(recordType, id, "")
	r.DeletedAt = timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return r
}

func filter(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err)
	}
	return s
}

var scenarios = []scenario{
	{"put, rewrite and get", func(s *session) {
		s.put(record(typeA, "a1", "one"), record(typeB, "b1", "two"), record(typeA, "a2", "three"))
		s.put(record(typeA, "a1", "one"))
		s.put()
		s.get(typeA, "a1")
		s.get(typeA, "missing")
		s.get(typeB, "a1")
		s.get("", "a1")
		s.info()
	}},
	{"tombstones", func(s *session) {
		s.put(record(typeA, "a1", "one"), record(typeA, "a2", "two"))
		s.put(tombstone(typeA, "a1"))
		s.get(typeA, "a1")
		s.query("after delete", &pb.QueryRequest{Type: typeA, Limit: 10})
		s.put(tombstone(typeB, "ghost"))
		s.put(record(typeA, "a1", "again"))
		s.get(typeA, "a1")
		types, err := s.c.ListTypes(s.ctx(), &emptypb.Empty{})
		if err != nil {
			s.noteErr("list types", err)
			return
		}
		var got []string
		for _, t := range types.GetTypes() {
			if ours(t) {
				got = append(got, t)
			}
		}
		s.note("types: %v", got)
		s.put(tombstone(typeA, "a1"), tombstone(typeA, "a2"))
		s.listTypes()
	}},
	{"query", func(s *session) {
		s.put(record(typeA, "a1", "alpha.example.com"), record(typeA, "a2", "Beta.example.com"),
			record(typeA, "a3", "gamma.internal"), record(typeB, "b1", "Alpha policy"))
		s.put(record(typeA, "a1", "alpha.example.com"))
		s.query("all of a type", &pb.QueryRequest{Type: typeA, Limit: 10})
		s.query("every type", &pb.QueryRequest{Limit: 10})
		s.query("limit 0", &pb.QueryRequest{Type: typeA})
		s.query("offset 1 limit 1", &pb.QueryRequest{Type: typeA, Offset: 1, Limit: 1})
		s.query("offset past the end", &pb.QueryRequest{Type: typeA, Offset: 5, Limit: 1})
		s.query("string alpha", &pb.QueryRequest{Type: typeA, Query: "ALPHA", Limit: 10})
		s.query("string beta", &pb.QueryRequest{Type: typeA, Query: "beta", Limit: 10})
		s.query("string of an id", &pb.QueryRequest{Type: typeA, Query: "a2", Limit: 10})
		s.query("filter id", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": "a2"})})
		s.query("filter id list", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": []any{"a3", "a1"}})})
		s.query("filter $or", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{
			"$or": []any{map[string]any{"id": "a1"}, map[string]any{"id": "a3"}}})})
		s.query("filter $and", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{
			"$and": []any{map[string]any{"id": "a1"}, map[string]any{"id": "a3"}}})})
		s.query("filter $index", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"$index": "10.0.0.1"})})
		s.query("filter id of every type", &pb.QueryRequest{Limit: 10, Filter: filter(map[string]any{"id": "b1"})})
	}},
	{"query filters Pomerium refuses or cannot index", func(s *session) {
		s.put(record(typeA, "a1", "one"))
		s.query("filter $not", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"$not": map[string]any{"id": "a1"}})})
		s.query("filter unindexed field", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"value": "one"})})
		s.query("filter operator", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": map[string]any{"$eq": "a1"}})})
		s.query("filter number", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": 3})})
		s.query("filter starts with", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": map[string]any{"$startsWith": "a"}})})
		s.query("filter greater than", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": map[string]any{">": "a"}})})
		s.query("empty filter", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{})})
		s.query("malformed $or", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"$or": "a1"})})
		s.query("malformed $and", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"$and": map[string]any{"id": "a1"}})})
	}},
	{"query an indexed field", func(s *session) {
		res, err := s.c.SetOptions(s.ctx(), &pb.SetOptionsRequest{Type: typeA, Options: &pb.Options{IndexableFields: []string{"value"}}})
		s.noteErr("set indexable fields", err)
		s.note("options: %s", compact(res.GetOptions()))
		s.put(record(typeA, "a2", "shared"), record(typeA, "a1", "other"), record(typeA, "a3", "shared"), record(typeB, "b1", "shared"))
		s.query("indexed field", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"value": "shared"})})
		s.query("indexed field of every type", &pb.QueryRequest{Limit: 10, Filter: filter(map[string]any{"value": "shared"})})
		s.query("field or id", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{
			"$or": []any{map[string]any{"id": "a1"}, map[string]any{"value": "shared"}}})})
		s.query("field and id", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"id": "a3", "value": "shared"})})
		s.put(record(typeA, "a3", "changed"))
		s.query("indexed field after a rewrite", &pb.QueryRequest{Type: typeA, Limit: 10, Filter: filter(map[string]any{"value": "shared"})})
		s.query("unindexed field of another type", &pb.QueryRequest{Type: typeB, Limit: 10, Filter: filter(map[string]any{"value": "shared"})})
	}},
	{"order of records", func(s *session) {
		s.put(record(typeB, "b2", "x"), record(typeA, "a3", "x"), record(typeA, "a1", "x"), record(typeA, "a10", "x"), record(typeA, "A2", "x"), record(typeB, "b1", "x"))
		s.put(record(typeA, "a1", "rewritten"))
		s.syncLatest(typeA)
		s.syncLatest("")
		s.query("every type", &pb.QueryRequest{Limit: 10})
		s.query("ids across types", &pb.QueryRequest{Limit: 10, Filter: filter(map[string]any{"id": []any{"b1", "a3", "a1"}})})
	}},
	{"types and options of types", func(s *session) {
		s.put(record(typeA, "a1", "x"), record(typeB, "b1", "x"))
		_, err := s.c.SetOptions(s.ctx(), &pb.SetOptionsRequest{Type: typeB, Options: &pb.Options{IndexableFields: []string{"value"}}})
		s.noteErr("set options of B", err)
		_, err = s.c.SetOptions(s.ctx(), &pb.SetOptionsRequest{Type: typeC, Options: &pb.Options{Capacity: proto.Uint64(5)}})
		s.noteErr("set options of C, which has no records", err)
		s.listTypes()
		v := s.syncLatest("")
		s.syncLatest(typeC)
		if v != nil {
			s.syncOnce("of every type", &pb.SyncRequest{ServerVersion: v.GetServerVersion()})
			s.syncOnce("of C", &pb.SyncRequest{ServerVersion: v.GetServerVersion(), Type: typeC})
		}
		s.put(tombstone(typeB, "b1"))
		s.listTypes()
		s.syncLatest("")
		for _, t := range []string{"session.SessionBindingRequest", "session.SessionBinding", "session.IdentityBinding", "oauth21.UpstreamMCPToken", "oauth21.PendingUpstreamAuth", "session.Session"} {
			res, err := s.c.GetOptions(s.ctx(), &pb.GetOptionsRequest{Type: "type.googleapis.com/" + t})
			if err != nil {
				s.noteErr("options of "+t, err)
				continue
			}
			s.note("options of %s: %s", t, compact(res.GetOptions()))
		}
	}},
	{"sync latest and sync", func(s *session) {
		s.put(record(typeA, "a1", "one"), record(typeB, "b1", "two"), record(typeA, "a2", "three"))
		s.put(record(typeA, "a1", "four"), tombstone(typeA, "a2"))
		v := s.syncLatest(typeA)
		s.syncLatest("")
		if v == nil {
			return
		}
		s.syncOnce("of A from the start", &pb.SyncRequest{ServerVersion: v.GetServerVersion(), Type: typeA})
		s.syncOnce("of every type from the start", &pb.SyncRequest{ServerVersion: v.GetServerVersion()})
		s.syncOnce("from the latest", &pb.SyncRequest{ServerVersion: v.GetServerVersion(), RecordVersion: v.GetLatestRecordVersion()})
		s.syncOnce("from the future", &pb.SyncRequest{ServerVersion: v.GetServerVersion(), RecordVersion: v.GetLatestRecordVersion() + 10})
		s.syncOnce("of another server version", &pb.SyncRequest{ServerVersion: v.GetServerVersion() + 1})
		s.syncOnce("of server version zero", &pb.SyncRequest{})
	}},
	{"a waiting sync sees later writes", func(s *session) {
		s.put(record(typeA, "a1", "one"))
		v := s.syncLatest(typeA)
		if v == nil {
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx(), 10*time.Second)
		defer cancel()
		stream, err := s.c.Sync(ctx, &pb.SyncRequest{ServerVersion: v.GetServerVersion(), RecordVersion: v.GetLatestRecordVersion(), Type: typeA})
		if err != nil {
			s.noteErr("sync", err)
			return
		}
		s.put(record(typeB, "b1", "other type"), record(typeA, "a2", "two"), tombstone(typeA, "a1"))
		var got []string
		for len(got) < 2 {
			msg, err := stream.Recv()
			if err != nil {
				s.noteErr("sync", err)
				return
			}
			if r := msg.GetRecord(); r != nil {
				got = append(got, s.rec(r))
			}
		}
		s.note("sync saw: %s", strings.Join(got, ", "))
		if _, err := s.c.Clear(s.ctx(), &emptypb.Empty{}); err != nil {
			s.noteErr("clear", err)
			return
		}
		_, err = stream.Recv()
		s.noteErr("sync after clear", err)
	}},
	{"clear", func(s *session) {
		s.put(record(typeA, "a1", "one"))
		res, err := s.c.Clear(s.ctx(), &emptypb.Empty{})
		if err != nil {
			s.noteErr("clear", err)
			return
		}
		s.note("clear: %s -> %s", s.sv(res.GetOldServerVersion()), s.sv(res.GetNewServerVersion()))
		s.info()
		s.get(typeA, "a1")
		s.base = 0
		s.put(record(typeA, "a2", "two"))
		for _, what := range []string{"clear again", "clear when empty"} {
			res, err = s.c.Clear(s.ctx(), &emptypb.Empty{})
			s.noteErr(what, err)
			s.note("%s: %s -> %s", what, s.sv(res.GetOldServerVersion()), s.sv(res.GetNewServerVersion()))
		}
		s.info()
	}},
	{"leases", func(s *session) {
		acquire := func(what, name string, d time.Duration) string {
			res, err := s.c.AcquireLease(s.ctx(), &pb.AcquireLeaseRequest{Name: name, Duration: durationpb.New(d)})
			s.noteErr("acquire "+what, err)
			return res.GetId()
		}
		renew := func(what, name, id string, d time.Duration) {
			_, err := s.c.RenewLease(s.ctx(), &pb.RenewLeaseRequest{Name: name, Id: id, Duration: durationpb.New(d)})
			s.noteErr("renew "+what, err)
		}
		release := func(what, name, id string) {
			_, err := s.c.ReleaseLease(s.ctx(), &pb.ReleaseLeaseRequest{Name: name, Id: id})
			s.noteErr("release "+what, err)
		}
		id := acquire("a free lease", "conformance", time.Minute)
		s.note("lease id is a uuid: %v", len(id) == 36 && strings.Count(id, "-") == 4)
		acquire("a held lease", "conformance", time.Minute)
		renew("by the holder", "conformance", id, time.Minute)
		renew("by another id", "conformance", "someone-else", time.Minute)
		release("by another id", "conformance", "someone-else")
		acquire("still held", "conformance", time.Minute)
		if _, err := s.c.Clear(s.ctx(), &emptypb.Empty{}); err != nil {
			s.noteErr("clear", err)
		}
		acquire("after clear", "conformance", time.Minute)
		renew("with zero duration", "conformance", id, 0)
		acquire("after renewal with zero duration", "conformance", time.Minute)
		release("by the holder", "conformance", id)
		release("again", "conformance", id)
		renew("after release", "conformance", id, time.Minute)
		other := acquire("after release", "conformance", time.Minute)
		release("by the new holder", "conformance", other)
		acquire("with a negative duration", "negative", -time.Second)
		acquire("after a negative duration", "negative", time.Minute)
	}},
	{"authentication", func(s *session) {
		call := func(what string, ctx context.Context) {
			_, err := s.c.ServerInfo(ctx, &emptypb.Empty{})
			s.noteErr(what, err)
		}
		call("no token", s.t.Context())
		call("another secret", s.ctxWith([]byte(strings.Repeat("x", 32)), time.Now()))
		call("expired a minute ago", s.ctxWith(s.secret, time.Now().Add(-2*time.Minute)))
		call("garbage", metadataWith(s.t.Context(), "not a jwt"))
		call("expired two seconds ago", s.ctxWith(s.secret, time.Now().Add(-time.Minute-2*time.Second)))
		sign := func(method jwt.SigningMethod, claims jwt.MapClaims) context.Context {
			token, err := jwt.NewWithClaims(method, claims).SignedString(s.secret)
			if err != nil {
				s.t.Fatal(err)
			}
			return metadataWith(s.t.Context(), token)
		}
		exp := time.Now().Add(time.Minute).Unix()
		call("HS384", sign(jwt.SigningMethodHS384, jwt.MapClaims{"exp": exp}))
		call("HS512", sign(jwt.SigningMethodHS512, jwt.MapClaims{"exp": exp}))
		call("with iat besides exp", sign(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exp, "iat": time.Now().Unix()}))
		call("with sub besides exp", sign(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exp, "sub": "someone"}))
		call("without exp", sign(jwt.SigningMethodHS256, jwt.MapClaims{"nbf": time.Now().Unix()}))
		call("no claims", sign(jwt.SigningMethodHS256, jwt.MapClaims{}))
		call("exp as a string", sign(jwt.SigningMethodHS256, jwt.MapClaims{"exp": fmt.Sprint(exp)}))
		stream, err := s.c.SyncLatest(s.t.Context(), &pb.SyncLatestRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		s.noteErr("stream without a token", err)
	}},
	{"options", func(s *session) {
		_, err := s.c.GetOptions(s.ctx(), &pb.GetOptionsRequest{Type: typeA})
		s.noteErr("get options never set", err)
		_, err = s.c.GetOptions(s.ctx(), &pb.GetOptionsRequest{})
		s.noteErr("get options of no type", err)
		s.put(record(typeA, "a1", "one"), record(typeA, "a2", "two"), record(typeA, "a3", "three"))
		res, err := s.c.SetOptions(s.ctx(), &pb.SetOptionsRequest{Type: typeA, Options: &pb.Options{Capacity: proto.Uint64(2)}})
		s.noteErr("set capacity 2", err)
		s.note("options: %s", compact(res.GetOptions()))
		s.query("after capacity 2", &pb.QueryRequest{Type: typeA, Limit: 10})
		s.put(record(typeA, "a4", "four"))
		s.query("after a put over capacity", &pb.QueryRequest{Type: typeA, Limit: 10})
		s.syncLatest(typeA)
		v := s.syncLatest(typeA)
		if v != nil {
			s.syncOnce("of A", &pb.SyncRequest{ServerVersion: v.GetServerVersion(), Type: typeA})
		}
		_, err = s.c.SetOptions(s.ctx(), &pb.SetOptionsRequest{Type: typeA, Options: &pb.Options{}})
		s.noteErr("set empty options", err)
		_, err = s.c.GetOptions(s.ctx(), &pb.GetOptionsRequest{Type: typeA})
		s.noteErr("get options after empty", err)
	}},
	{"checkpoint", func(s *session) {
		get := func(what string) {
			res, err := s.cp.GetCheckpoint(s.ctx(), &pb.GetCheckpointRequest{})
			if err != nil {
				s.noteErr("get checkpoint "+what, err)
				return
			}
			s.note("checkpoint %s: %d/%d", what, res.GetCheckpoint().GetServerVersion(), res.GetCheckpoint().GetRecordVersion())
		}
		get("at first")
		_, err := s.cp.SetCheckpoint(s.ctx(), &pb.SetCheckpointRequest{Checkpoint: &pb.Checkpoint{ServerVersion: 7, RecordVersion: 9}})
		s.noteErr("set checkpoint", err)
		get("once set")
		if _, err := s.c.Clear(s.ctx(), &emptypb.Empty{}); err != nil {
			s.noteErr("clear", err)
		}
		get("after clear")
	}},
	{"too large a put", func(s *session) {
		big := record(typeA, "big", strings.Repeat("x", 5<<20))
		s.put(big)
		s.info()
	}},
}
