package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/api/sessionpb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

const (
	sessionType         = "type.googleapis.com/session.Session"
	userType            = "type.googleapis.com/user.User"
	sessionBindingType  = "type.googleapis.com/session.SessionBinding"
	identityBindingType = "type.googleapis.com/session.IdentityBinding"
)

type sessionAPI struct {
	list        rpc[pb.ListPomeriumSessionsRequest, pb.ListPomeriumSessionsResponse]
	get         rpc[pb.GetPomeriumSessionRequest, pb.GetPomeriumSessionResponse]
	del         rpc[pb.DeletePomeriumSessionRequest, pb.DeletePomeriumSessionResponse]
	candidates  rpc[pb.ListPomeriumSessionsForImpersonationRequest, pb.ListPomeriumSessionsForImpersonationResponse]
	impersonate rpc[pb.ImpersonateRequest, pb.ImpersonateResponse]
}

// sessionAPI reaches PomeriumSessionService with a console token.
func (e *env) sessionAPI(transport, token string) sessionAPI {
	if transport == "grpc" {
		c := pb.NewPomeriumSessionServiceClient(e.conn)
		return sessionAPI{viaGRPC(token, c.ListPomeriumSessions), viaGRPC(token, c.GetPomeriumSession), viaGRPC(token, c.DeletePomeriumSession),
			viaGRPC(token, c.ListPomeriumSessionsForImpersonation), viaGRPC(token, c.Impersonate)}
	}
	c := dashboardpbconnect.NewPomeriumSessionServiceClient(e.http, e.url, connectOpts(token)...)
	return sessionAPI{viaConnect(c.ListPomeriumSessions), viaConnect(c.GetPomeriumSession), viaConnect(c.DeletePomeriumSession),
		viaConnect(c.ListPomeriumSessionsForImpersonation), viaConnect(c.Impersonate)}
}

// sessionAPIViaPomerium reaches PomeriumSessionService as a user behind
// Pomerium, whose assertion names the user's session.
func (e *env) sessionAPIViaPomerium(transport, jwt string) sessionAPI {
	if transport == "grpc" {
		c := pb.NewPomeriumSessionServiceClient(e.conn)
		with := func(ctx context.Context) context.Context {
			return metadata.AppendToOutgoingContext(ctx, "x-pomerium-jwt-assertion", jwt)
		}
		return sessionAPI{
			withAssertion(with, c.ListPomeriumSessions), withAssertion(with, c.GetPomeriumSession), withAssertion(with, c.DeletePomeriumSession),
			withAssertion(with, c.ListPomeriumSessionsForImpersonation), withAssertion(with, c.Impersonate),
		}
	}
	c := dashboardpbconnect.NewPomeriumSessionServiceClient(e.http, e.url, connect.WithProtoJSON(), viaPomerium(jwt))
	return sessionAPI{viaConnect(c.ListPomeriumSessions), viaConnect(c.GetPomeriumSession), viaConnect(c.DeletePomeriumSession),
		viaConnect(c.ListPomeriumSessionsForImpersonation), viaConnect(c.Impersonate)}
}

func withAssertion[Req, Res any](with func(context.Context) context.Context, f func(context.Context, *Req, ...grpc.CallOption) (*Res, error)) rpc[Req, Res] {
	return func(ctx context.Context, req *Req) (*Res, error) { return f(with(ctx), req) }
}

// sessionAssertion is Pomerium's assertion for a user of session sid.
func sessionAssertion(t *testing.T, sub, email, sid string) string {
	t.Helper()
	return signAssertion(t, jwt.MapClaims{"aud": audience, "sub": sub, "email": email, "sid": sid})
}

// pomeriumSession is a session as Pomerium's authenticate writes it.
func pomeriumSession(id, userID, email string, issued time.Time) *sessionpb.Session {
	claims := map[string]*structpb.ListValue{}
	for k, v := range map[string]string{"email": email, "sub": userID} {
		l, _ := structpb.NewList([]any{v})
		claims[k] = l
	}
	return &sessionpb.Session{
		Id: id, UserId: userID, IssuedAt: timestamppb.New(issued), ExpiresAt: timestamppb.New(issued.Add(14 * time.Hour)),
		AccessedAt: timestamppb.New(issued.Add(time.Minute)),
		IdToken:    &sessionpb.IDToken{Issuer: "https://idp.example.com", Subject: userID, IssuedAt: timestamppb.New(issued), Raw: "raw-id-token-" + id},
		OauthToken: &sessionpb.OAuthToken{AccessToken: "access-" + id, RefreshToken: "refresh-" + id, TokenType: "Bearer"},
		Claims:     claims, Audience: []string{"app.example.com"},
	}
}

// putRecords writes Pomerium's records into a databroker.
func putRecords(t *testing.T, b *databroker.Client, recordType string, msgs map[string]proto.Message) {
	t.Helper()
	var records []*databrokerpb.Record
	for id, m := range msgs {
		data, err := anypb.New(m)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, &databrokerpb.Record{Type: recordType, Id: id, Data: data})
	}
	if _, err := b.Put(context.Background(), records); err != nil {
		t.Fatal(err)
	}
}

// readSession reads a session record straight from the databroker; nil
// when it is gone.
func readSession(t *testing.T, b *databroker.Client, id string) *sessionpb.Session {
	t.Helper()
	res, err := b.RPC().Get(context.Background(), &databrokerpb.GetRequest{Type: sessionType, Id: id})
	if status.Code(err) == codes.NotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var s sessionpb.Session
	if err := res.GetRecord().GetData().UnmarshalTo(&s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// seedSessions writes, into b, sessions of alice (3), bob (2) and carol
// (1, carol's user record only in the directory), their user records, and
// SSH bindings of alice and bob. Session i was issued i hours ago.
func seedSessions(t *testing.T, b *databroker.Client) {
	t.Helper()
	now := time.Now()
	sessions := map[string]proto.Message{}
	for i, s := range []struct{ id, user, email string }{
		{"s-alice-1", "u-alice", "alice@example.com"}, {"s-bob-1", "u-bob", "bob@example.com"},
		{"s-alice-2", "u-alice", "alice@example.com"}, {"s-carol-1", "u-carol", ""},
		{"s-bob-2", "u-bob", "bob@example.com"}, {"s-alice-3", "u-alice", "alice@example.com"},
	} {
		sessions[s.id] = pomeriumSession(s.id, s.user, s.email, now.Add(-time.Duration(i)*time.Hour))
	}
	putRecords(t, b, sessionType, sessions)
	putRecords(t, b, userType, map[string]proto.Message{
		"u-alice": &userpb.User{Id: "u-alice", Name: "Alice Liddell", Email: "alice@example.com"},
		"u-bob":   &userpb.User{Id: "u-bob", Name: "Bob", Email: "bob@example.com"},
	})
	carol, _ := structpb.NewStruct(map[string]any{"id": "u-carol", "display_name": "Carol Directory", "email": "carol@corp.example", "group_ids": []any{"g-ops"}})
	ops, _ := structpb.NewStruct(map[string]any{"id": "g-ops", "name": "Operations", "email": "ops@corp.example"})
	putRecords(t, b, "pomerium.io/DirectoryUser", map[string]proto.Message{"u-carol": carol})
	putRecords(t, b, "pomerium.io/DirectoryGroup", map[string]proto.Message{"g-ops": ops})
	putRecords(t, b, sessionBindingType, map[string]proto.Message{
		"sb-alice": &sessionpb.SessionBinding{Protocol: "ssh", SessionId: "s-alice-1", UserId: "u-alice"},
		"sb-bob":   &sessionpb.SessionBinding{Protocol: "ssh", SessionId: "s-bob-1", UserId: "u-bob"},
	})
	putRecords(t, b, identityBindingType, map[string]proto.Message{
		"ib-alice": &sessionpb.IdentityBinding{Protocol: "ssh", UserId: "u-alice"},
	})
}

func sessionIDs(list []*pb.PomeriumSession) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.GetId())
	}
	return out
}

func TestListAndGetSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedSessions(t, e.broker)
	for _, transport := range transports {
		api := e.sessionAPI(transport, e.adminToken())
		all, err := api.list(e.ctx, &pb.ListPomeriumSessionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"s-alice-1", "s-bob-1", "s-alice-2", "s-carol-1", "s-bob-2", "s-alice-3"}
		if got := sessionIDs(all.Sessions); !slices.Equal(got, want) || all.TotalCount != 6 {
			t.Fatalf("%s: sessions %v (total %d), want newest first %v", transport, got, all.TotalCount, want)
		}
		first := all.Sessions[0]
		if first.User.GetName() != "Alice Liddell" || first.User.GetEmail() != "alice@example.com" || first.Issuer != "https://idp.example.com" ||
			first.IssuedAt == nil || first.ExpiresAt == nil || first.AccessedAt == nil || first.Claims["email"] == nil {
			t.Errorf("%s: first session %v", transport, first)
		}
		if s := all.Sessions[3]; s.User.GetName() != "Carol Directory" || s.User.GetEmail() != "carol@corp.example" ||
			len(s.Groups) != 1 || s.Groups[0].GetName() != "Operations" || s.Groups[0].GetEmail() != "ops@corp.example" {
			t.Errorf("%s: carol's session does not carry the directory's name, email and groups: %v", transport, s)
		}
		for _, c := range []struct {
			name  string
			req   *pb.ListPomeriumSessionsRequest
			want  []string
			total int64
		}{
			{"a page", &pb.ListPomeriumSessionsRequest{Offset: new(int64(1)), Limit: new(int64(2))}, []string{"s-bob-1", "s-alice-2"}, 6},
			{"oldest first", &pb.ListPomeriumSessionsRequest{OrderBy: new("issued_at"), Limit: new(int64(2))}, []string{"s-alice-3", "s-bob-2"}, 6},
			{"one user", &pb.ListPomeriumSessionsRequest{UserId: new("u-bob")}, []string{"s-bob-1", "s-bob-2"}, 2},
			{"a user's name", &pb.ListPomeriumSessionsRequest{Query: new("LIDDELL")}, []string{"s-alice-1", "s-alice-2", "s-alice-3"}, 3},
			{"the directory's email", &pb.ListPomeriumSessionsRequest{Query: new("corp.example")}, []string{"s-carol-1"}, 1},
			{"a session id", &pb.ListPomeriumSessionsRequest{Query: new("bob-2")}, []string{"s-bob-2"}, 1},
			{"a claim", &pb.ListPomeriumSessionsRequest{Query: new("bob@example")}, []string{"s-bob-1", "s-bob-2"}, 2},
			{"no match", &pb.ListPomeriumSessionsRequest{Query: new("nobody")}, nil, 0},
		} {
			got, err := api.list(e.ctx, c.req)
			if err != nil {
				t.Fatalf("%s: %s: %v", transport, c.name, err)
			}
			if ids := sessionIDs(got.Sessions); !slices.Equal(ids, c.want) || got.TotalCount != c.total {
				t.Errorf("%s: %s: %v (total %d), want %v (total %d)", transport, c.name, ids, got.TotalCount, c.want, c.total)
			}
		}
		_, err = api.list(e.ctx, &pb.ListPomeriumSessionsRequest{OrderBy: new("colour")})
		wantCode(t, transport+" unknown order", err, connect.CodeInvalidArgument, "order_by")

		one, err := api.get(e.ctx, &pb.GetPomeriumSessionRequest{Id: "s-alice-2"})
		if err != nil {
			t.Fatal(err)
		}
		if one.Session.GetId() != "s-alice-2" || !slices.Equal(sessionIDs(one.AssociatedSessions), []string{"s-alice-1", "s-alice-3"}) {
			t.Errorf("%s: get: %v with %v", transport, one.Session.GetId(), sessionIDs(one.AssociatedSessions))
		}
		_, err = api.get(e.ctx, &pb.GetPomeriumSessionRequest{Id: "s-nobody"})
		wantCode(t, transport+" unknown session", err, connect.CodeNotFound, "s-nobody")
		_, err = api.get(e.ctx, &pb.GetPomeriumSessionRequest{})
		wantCode(t, transport+" no id", err, connect.CodeInvalidArgument, "id")
	}
	// No token of a session leaves the console.
	res, err := e.sessionAPI("connect-json", e.adminToken()).list(e.ctx, &pb.ListPomeriumSessionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Sessions {
		if text := fmt.Sprint(s); containsAny(text, "refresh-", "access-", "raw-id-token-") {
			t.Fatalf("a session answers a token: %s", text)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedSessions(t, e.broker)
	// One session: it is deleted, with its data, and nothing else is.
	c := dashboardpbconnect.NewPomeriumSessionServiceClient(e.http, e.url, connectOpts(e.adminToken())...)
	res, err := c.DeletePomeriumSession(e.ctx, connect.NewRequest(&pb.DeletePomeriumSessionRequest{Id: "s-alice-2"}))
	if err != nil {
		t.Fatal(err)
	}
	if notice := res.Header().Get("Pomerium-Console-Notice"); !strings.Contains(notice, "about a minute") {
		t.Errorf("the answer does not say how long Pomerium may honour the session: %q", notice)
	}
	if readSession(t, e.broker, "s-alice-2") != nil {
		t.Fatal("the signed-out session is still in the databroker")
	}
	for _, id := range []string{"s-alice-1", "s-alice-3", "s-bob-1", "s-bob-2", "s-carol-1"} {
		if readSession(t, e.broker, id) == nil {
			t.Fatalf("session %s went with s-alice-2", id)
		}
	}
	// Pomerium deletes by putting the record back with deleted_at: the
	// change carries the session's data.
	var deleted *databrokerpb.Record
	latest, err := e.broker.SyncLatest(e.ctx, sessionType, func(*databrokerpb.Record) {})
	if err != nil {
		t.Fatal(err)
	}
	err = e.broker.Sync(e.ctx, sessionType, databroker.Versions{ServerVersion: latest.ServerVersion}, databroker.SyncHandler{Record: func(r *databrokerpb.Record) error {
		if r.GetId() == "s-alice-2" && r.GetDeletedAt() != nil {
			deleted = r
			return errStop
		}
		return nil
	}})
	if deleted == nil || deleted.GetData() == nil {
		t.Fatalf("no delete of s-alice-2 with its data in the change log: %v, %v", deleted, err)
	}

	// Every session of a user, and the user's SSH bindings.
	api := e.sessionAPI("grpc", e.adminToken())
	if _, err := api.del(e.ctx, &pb.DeletePomeriumSessionRequest{Id: "s-alice-1", BlockUser: new(true)}); err != nil {
		t.Fatal(err)
	}
	for id, gone := range map[string]bool{"s-alice-1": true, "s-alice-3": true, "s-bob-1": false, "s-bob-2": false, "s-carol-1": false} {
		if (readSession(t, e.broker, id) == nil) != gone {
			t.Errorf("session %s: gone %v, want %v", id, !gone, gone)
		}
	}
	for recordType, want := range map[string][]string{sessionBindingType: {"sb-bob"}, identityBindingType: nil} {
		res, err := e.broker.RPC().Query(e.ctx, &databrokerpb.QueryRequest{Type: recordType, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range res.GetRecords() {
			ids = append(ids, r.GetId())
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s left: %v, want %v", recordType, ids, want)
		}
	}
	// Both are in the activity log.
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{EntityType: store.EntitySession, Action: store.ActionSignOut})
	if err != nil || page.TotalCount != 2 {
		t.Fatalf("sign-outs in the activity log: %v, %v", page, err)
	}
	if last := page.Entries[0]; last.EntityID != "s-alice-1" || last.EntityName != "alice@example.com: 2 sessions" ||
		!strings.Contains(last.Snapshot, "s-alice-3") || last.NamespaceID != store.GlobalNamespaceID {
		t.Errorf("the last sign-out is logged as %+v", last)
	}
	_, err = api.del(e.ctx, &pb.DeletePomeriumSessionRequest{Id: "s-alice-1"})
	wantCode(t, "signing out a session twice", err, connect.CodeNotFound, "s-alice-1")
}

// errStop ends a Sync.
var errStop = fmt.Errorf("stop")

func TestImpersonate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedSessions(t, e.broker)
	putRecords(t, e.broker, sessionType, map[string]proto.Message{
		"s-admin": pomeriumSession("s-admin", "u-admin", admin, time.Now().Add(-48*time.Hour)),
	})
	for _, transport := range transports {
		api := e.sessionAPIViaPomerium(transport, sessionAssertion(t, "u-admin", admin, "s-admin"))
		before := readSession(t, e.broker, "s-bob-1")
		if _, err := api.impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-bob-1"}); err != nil {
			t.Fatal(err)
		}
		own := readSession(t, e.broker, "s-admin")
		if own.GetImpersonateSessionId() != "s-bob-1" || own.GetOauthToken().GetRefreshToken() != "refresh-s-admin" || own.GetUserId() != "u-admin" {
			t.Fatalf("%s: the admin's session after impersonating: %v", transport, own)
		}
		if after := readSession(t, e.broker, "s-bob-1"); !proto.Equal(before, after) {
			t.Fatalf("%s: impersonating changed the target: %v", transport, after)
		}
		candidates, err := api.candidates(e.ctx, &pb.ListPomeriumSessionsForImpersonationRequest{Query: new("bob")})
		if err != nil {
			t.Fatal(err)
		}
		if len(candidates.Sessions) != 2 || candidates.Sessions[0].GetId() != "s-bob-1" || candidates.Sessions[0].GetUserEmail() != "bob@example.com" ||
			candidates.Sessions[0].GetUserDisplayName() != "Bob" {
			t.Errorf("%s: candidates %v", transport, candidates.Sessions)
		}
		_, err = api.impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-admin"})
		wantCode(t, transport+" own session", err, connect.CodeInvalidArgument, "session_id")
		_, err = api.impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-nobody"})
		wantCode(t, transport+" unknown session", err, connect.CodeNotFound, "s-nobody")
		// An empty session id stops.
		if _, err := api.impersonate(e.ctx, &pb.ImpersonateRequest{}); err != nil {
			t.Fatal(err)
		}
		if own := readSession(t, e.broker, "s-admin"); own.ImpersonateSessionId != nil || own.GetOauthToken() == nil {
			t.Fatalf("%s: after stopping: %v", transport, own)
		}
	}
	page, err := e.store.Activity(e.ctx, store.ActivityQuery{Action: store.ActionImpersonate})
	if err != nil || page.TotalCount != 4 || page.Entries[1].EntityName != "as bob@example.com" || page.Entries[1].Subject != admin {
		t.Fatalf("impersonations in the activity log: %+v, %v", page, err)
	}
	// A token of the console has no session to impersonate with.
	_, err = e.sessionAPI("grpc", e.adminToken()).impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-bob-1"})
	wantCode(t, "a recovery token", err, connect.CodeFailedPrecondition, "through Pomerium")
	// A session the databroker does not hold.
	_, err = e.sessionAPIViaPomerium("grpc", sessionAssertion(t, "u-admin", admin, "s-gone")).impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-bob-1"})
	wantCode(t, "a session that is gone", err, connect.CodeFailedPrecondition, "s-gone")
	// Only Global admins: a Global manager behind Pomerium may not.
	if _, err := store.Put(e.ctx, e.store, store.Actor{Subject: "test", Origin: store.OriginAPI}, &store.NamespacePermission{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID}, SubjectType: store.SubjectUser, SubjectID: "u-bob", Role: store.RoleManager}, 0); err != nil {
		t.Fatal(err)
	}
	bob := e.sessionAPIViaPomerium("connect-json", sessionAssertion(t, "u-bob", "bob@example.com", "s-bob-1"))
	_, err = bob.impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-alice-1"})
	wantCode(t, "a Global manager", err, connect.CodePermissionDenied, "admin")
	_, err = bob.candidates(e.ctx, &pb.ListPomeriumSessionsForImpersonationRequest{})
	wantCode(t, "a Global manager listing candidates", err, connect.CodePermissionDenied, "admin")
	if own := readSession(t, e.broker, "s-bob-1"); own.ImpersonateSessionId != nil {
		t.Fatalf("a refused impersonation patched the session: %v", own)
	}
}

// TestSessionRoles: sessions are read and signed out by admins of the
// cluster's namespace; an added cluster's admins reach its databroker
// only.
func TestSessionRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seedSessions(t, e.broker)
	added, err := e.clusterAPI("grpc", e.adminToken()).add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("eu")})
	if err != nil {
		t.Fatal(err)
	}
	eu := added.Cluster.Id
	putRecords(t, e.addDatabroker(eu), sessionType, map[string]proto.Message{"s-eu": pomeriumSession("s-eu", "u-eu", "eu@example.com", time.Now())})
	team := e.namespace(store.GlobalNamespaceID, "Team")
	for _, c := range []struct {
		who       string
		role      store.Role
		namespace string
		// def and other: the code of reading the default cluster's and
		// eu's sessions.
		def, other connect.Code
	}{
		{"admin of Global", store.RoleAdmin, store.GlobalNamespaceID, 0, 0},
		{"manager of Global", store.RoleManager, store.GlobalNamespaceID, connect.CodePermissionDenied, connect.CodePermissionDenied},
		{"viewer of Global", store.RoleViewer, store.GlobalNamespaceID, connect.CodePermissionDenied, connect.CodePermissionDenied},
		{"admin of eu", store.RoleAdmin, eu, connect.CodePermissionDenied, 0},
		{"admin of Team", store.RoleAdmin, team.ID, connect.CodePermissionDenied, connect.CodeNotFound},
		{"no role", rbac.None, store.GlobalNamespaceID, connect.CodePermissionDenied, connect.CodeNotFound},
	} {
		for _, transport := range transports {
			api := e.sessionAPI(transport, e.account(c.role, c.namespace))
			_, err := api.list(e.ctx, &pb.ListPomeriumSessionsRequest{})
			if got := codeOf(err); got != c.def {
				t.Errorf("%s via %s: default cluster's sessions: %v (%v), want %v", c.who, transport, got, err, c.def)
			}
			list, err := api.list(e.ctx, &pb.ListPomeriumSessionsRequest{ClusterId: &eu})
			if got := codeOf(err); got != c.other {
				t.Errorf("%s via %s: eu's sessions: %v (%v), want %v", c.who, transport, got, err, c.other)
			}
			if err == nil && !slices.Equal(sessionIDs(list.Sessions), []string{"s-eu"}) {
				t.Errorf("%s via %s: eu's sessions are %v", c.who, transport, sessionIDs(list.Sessions))
			}
			_, err = api.get(e.ctx, &pb.GetPomeriumSessionRequest{Id: "s-bob-1"})
			if got := codeOf(err); got != c.def {
				t.Errorf("%s via %s: get: %v (%v), want %v", c.who, transport, got, err, c.def)
			}
			if c.def != 0 {
				_, err = api.del(e.ctx, &pb.DeletePomeriumSessionRequest{Id: "s-bob-1"})
				if got := codeOf(err); got != c.def {
					t.Errorf("%s via %s: sign-out: %v (%v), want %v", c.who, transport, got, err, c.def)
				}
			}
		}
	}
	if readSession(t, e.broker, "s-bob-1") == nil {
		t.Fatal("a refused sign-out deleted the session")
	}
	// A cluster the console cannot reach answers Unavailable.
	gone, err := e.clusterAPI("grpc", e.adminToken()).add(e.ctx, &pb.AddClusterRequest{Cluster: newCluster("down")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.sessionAPI("grpc", e.adminToken()).list(e.ctx, &pb.ListPomeriumSessionsRequest{ClusterId: &gone.Cluster.Id})
	wantCode(t, "a cluster not connected", err, connect.CodeUnavailable, "databroker")
}

// TestSessionsOnPomerium runs the session calls against Pomerium's own
// databroker: its Query, its delete by deleted_at, its index of SSH
// bindings by user_id and its Patch by field mask.
func TestSessionsOnPomerium(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	real := startPomerium(t)
	e.broker = real
	seedSessions(t, real)
	putRecords(t, real, sessionType, map[string]proto.Message{
		"s-admin": pomeriumSession("s-admin", "u-admin", admin, time.Now().Add(-48*time.Hour)),
	})
	api := e.sessionAPIViaPomerium("grpc", sessionAssertion(t, "u-admin", admin, "s-admin"))
	all, err := api.list(e.ctx, &pb.ListPomeriumSessionsRequest{Limit: new(int64(3))})
	if err != nil {
		t.Fatal(err)
	}
	if got := sessionIDs(all.Sessions); !slices.Equal(got, []string{"s-alice-1", "s-bob-1", "s-alice-2"}) || all.TotalCount != 7 {
		t.Fatalf("first page %v (total %d)", got, all.TotalCount)
	}
	bobs, err := api.list(e.ctx, &pb.ListPomeriumSessionsRequest{UserId: new("u-bob")})
	if err != nil || !slices.Equal(sessionIDs(bobs.Sessions), []string{"s-bob-1", "s-bob-2"}) {
		t.Fatalf("bob's sessions: %v, %v", sessionIDs(bobs.GetSessions()), err)
	}
	carol, err := api.list(e.ctx, &pb.ListPomeriumSessionsRequest{Query: new("corp.example")})
	if err != nil || !slices.Equal(sessionIDs(carol.Sessions), []string{"s-carol-1"}) || carol.Sessions[0].Groups[0].GetName() != "Operations" {
		t.Fatalf("a session by its directory user's email: %v, %v", carol.GetSessions(), err)
	}
	if _, err := api.impersonate(e.ctx, &pb.ImpersonateRequest{SessionId: "s-bob-2"}); err != nil {
		t.Fatal(err)
	}
	if own := readSession(t, real, "s-admin"); own.GetImpersonateSessionId() != "s-bob-2" || own.GetOauthToken().GetRefreshToken() != "refresh-s-admin" {
		t.Fatalf("the admin's session after impersonating: %v", own)
	}
	if _, err := api.impersonate(e.ctx, &pb.ImpersonateRequest{}); err != nil {
		t.Fatal(err)
	}
	if own := readSession(t, real, "s-admin"); own.ImpersonateSessionId != nil || own.GetUserId() != "u-admin" {
		t.Fatalf("the admin's session after stopping: %v", own)
	}
	if _, err := api.del(e.ctx, &pb.DeletePomeriumSessionRequest{Id: "s-alice-2", BlockUser: new(true)}); err != nil {
		t.Fatal(err)
	}
	for id, gone := range map[string]bool{"s-alice-1": true, "s-alice-2": true, "s-alice-3": true, "s-bob-1": false, "s-carol-1": false, "s-admin": false} {
		if (readSession(t, real, id) == nil) != gone {
			t.Errorf("session %s: gone %v, want %v", id, !gone, gone)
		}
	}
	res, err := real.RPC().Query(e.ctx, &databrokerpb.QueryRequest{Type: sessionBindingType, Limit: 10})
	if err != nil || len(res.GetRecords()) != 1 || res.GetRecords()[0].GetId() != "sb-bob" {
		t.Fatalf("SSH bindings left: %v, %v", res.GetRecords(), err)
	}
}

// startPomerium starts Pomerium's own databroker for one test and returns
// a client of it.
func startPomerium(t testing.TB) *databroker.Client {
	t.Helper()
	d, err := pomeriumtest.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	return d.Dial(t)
}
