package manage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/sessionpb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/internal/english"
	"github.com/pomerium-console/pomerium-console/store"
)

// The record types of Pomerium's sessions and users.
var (
	sessionType         = typeOf(&sessionpb.Session{})
	sessionBindingType  = typeOf(&sessionpb.SessionBinding{})
	identityBindingType = typeOf(&sessionpb.IdentityBinding{})
	userType            = typeOf(&userpb.User{})
)

// SignOutDelay is how long Pomerium may still honour a session after the
// console deleted it: its authorize service caches what it read from the
// databroker for about a minute.
const SignOutDelay = time.Minute

// SignOutNotice says what SignOutDelay means, for surfaces to show.
const SignOutNotice = "Pomerium may still honour a deleted session for up to about a minute: its authorize service caches what it reads from the databroker."

// Session is a session Pomerium keeps in a cluster's databroker, with what
// that databroker knows of its user.
type Session struct {
	*sessionpb.Session
	ClusterID string
	User      Person
	Groups    []Person
}

// Person is a user or a group as the databroker's records name it.
type Person struct {
	ID, Name, Email string
}

// Issuer is the identity provider that issued the session.
func (s *Session) Issuer() string { return s.GetIdToken().GetIssuer() }

// Label names the session's user for a person: the email, else the name,
// else the id.
func (p Person) Label() string { return cmp.Or(p.Email, p.Name, p.ID) }

// SessionQuery selects sessions of a cluster.
type SessionQuery struct {
	// ClusterID is the cluster; empty for the default cluster.
	ClusterID string
	// Query is a case-insensitive part of the session's id, its user's id,
	// name or email, or one of its claims.
	Query string
	// UserID keeps the sessions of one user.
	UserID string
	// OrderBy is one of SessionOrders; empty is newest first.
	OrderBy       string
	Offset, Limit int
}

// byTime orders sessions by one of their times, then by id.
func byTime(get func(*sessionRef) time.Time, desc bool) func(a, b *sessionRef) int {
	return func(a, b *sessionRef) int {
		c := get(a).Compare(get(b))
		if desc {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.id, b.id))
	}
}

// SessionOrders are the orders a list of sessions may take: a field, with
// "-" before it or " desc" after it for the reverse.
var SessionOrders = []string{"issued_at", "accessed_at", "expires_at", "user_id", "id"}

// parseSessionOrder reads order_by; empty is newest first.
func parseSessionOrder(s string) (func(a, b *sessionRef) int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	desc := false
	switch {
	case s == "" || s == "newest":
		s, desc = "issued_at", true
	case s == "oldest":
		s = "issued_at"
	case strings.HasPrefix(s, "-"):
		s, desc = s[1:], true
	case strings.HasSuffix(s, " desc"):
		s, desc = strings.TrimSpace(strings.TrimSuffix(s, " desc")), true
	case strings.HasSuffix(s, " asc"):
		s = strings.TrimSpace(strings.TrimSuffix(s, " asc"))
	}
	switch s {
	case "issued_at", "issuedat":
		return byTime(func(r *sessionRef) time.Time { return r.issued }, desc), nil
	case "accessed_at", "accessedat":
		return byTime(func(r *sessionRef) time.Time { return r.accessed }, desc), nil
	case "expires_at", "expiresat":
		return byTime(func(r *sessionRef) time.Time { return r.expires }, desc), nil
	case "user_id", "userid", "id":
		key := func(r *sessionRef) string { return r.id }
		if s != "id" {
			key = func(r *sessionRef) string { return r.userID }
		}
		return func(a, b *sessionRef) int {
			c := strings.Compare(key(a), key(b))
			if desc {
				c = -c
			}
			return cmp.Or(c, strings.Compare(a.id, b.id))
		}, nil
	}
	return nil, invalid("order_by", "%q is not one of %s (with - before or desc after for the reverse), newest or oldest", s, strings.Join(SessionOrders, ", "))
}

// ListSessions pages through the sessions of a cluster. It reads the
// cluster's databroker a page at a time and holds no more than the page
// asked for (and one read) at once.
func (a *App) ListSessions(ctx context.Context, c *Caller, q SessionQuery) (*Page[*Session], error) {
	cl, err := a.databroker(c, "cluster_id", q.ClusterID, SeeSessions)
	if err != nil {
		return nil, err
	}
	order, err := parseSessionOrder(q.OrderBy)
	if err != nil {
		return nil, err
	}
	if q.Offset < 0 {
		return nil, invalid("offset", "must not be negative")
	}
	limit := pageLimit(q.Limit)
	match, scan, err := a.sessionMatcher(ctx, cl, q.Query)
	if err != nil {
		return nil, err
	}
	if q.UserID != "" {
		// The user's sessions hold the query's matches among them.
		scan = sessionScan{users: map[string]bool{q.UserID: true}}
	}
	top := newTopK(q.Offset+limit, order)
	total := 0
	err = a.scanSessions(ctx, cl, scan, func(s *sessionRef) error {
		if ok, err := match(s); !ok || err != nil {
			return err
		}
		total++
		top.add(s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, err := a.describeRefs(ctx, cl, window(top.sorted(), q.Offset, limit))
	if err != nil {
		return nil, err
	}
	return &Page[*Session]{Items: items, Total: total}, nil
}

// sessionScan says which sessions of a cluster a list reads: every one
// when it is empty.
type sessionScan struct {
	// text reads the sessions whose data holds it (without regard to
	// case): every string a session is matched by is in its encoded data
	// as is.
	text string
	// users reads the sessions of these users.
	users map[string]bool
}

// scanSessions calls fn with the live sessions of the cluster that scan
// selects. They are read from one stream of every session, and of each
// only the id, user and times are decoded, and, for a text, whether its
// encoded data holds the text: Pomerium indexes sessions by nothing but
// id, and its own text match decodes every session, which costs the
// databroker more than this costs the console.
func (a *App) scanSessions(ctx context.Context, cl *inCluster, scan sessionScan, fn func(*sessionRef) error) error {
	text := []byte(strings.ToLower(scan.text))
	keep := func(ref *sessionRef) bool {
		if len(scan.users) == 0 && len(text) == 0 {
			return true
		}
		return scan.users[ref.userID] || (len(text) > 0 && holdsFold(ref.r.GetData().GetValue(), text))
	}
	var bad error
	err := scanRecords(ctx, cl.broker, sessionType, "", func(r *databrokerpb.Record) bool {
		ref, err := refOf(r)
		if err != nil {
			bad = fmt.Errorf("session %s of cluster %s does not decode: %w", r.GetId(), cl.id, err)
			return false
		}
		if keep(ref) {
			bad = fn(ref)
		}
		return bad == nil
	})
	return cmp.Or(err, bad)
}

// holdsFold reports whether b holds lower (lower-cased) without regard to
// case, without copying b when lower is ASCII.
func holdsFold(b, lower []byte) bool {
	for _, c := range lower {
		if c >= utf8.RuneSelf {
			return bytes.Contains(bytes.ToLower(b), lower)
		}
	}
	first := lower[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper -= 'a' - 'A'
	}
	for i := 0; i+len(lower) <= len(b); i++ {
		if c := b[i]; c != first && c != upper {
			continue
		}
		j := 1
		for ; j < len(lower); j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

// sessionMatcher matches sessions against a query: their id, user id or
// claims, or the name or email of their user as the cluster's user and
// directory records hold them. scan reads the sessions that may match:
// those whose data holds the query, and those of the matching users.
func (a *App) sessionMatcher(ctx context.Context, cl *inCluster, query string) (match func(*sessionRef) (bool, error), scan sessionScan, err error) {
	if query == "" {
		return func(*sessionRef) (bool, error) { return true, nil }, sessionScan{}, nil
	}
	users := map[string]bool{}
	for _, recordType := range []string{userType, directoryUserType} {
		err := scanRecords(ctx, cl.broker, recordType, query, func(r *databrokerpb.Record) bool {
			users[r.GetId()] = true
			return true
		})
		if err != nil {
			return nil, sessionScan{}, err
		}
	}
	scan = sessionScan{text: query, users: users}
	return func(ref *sessionRef) (bool, error) {
		if users[ref.userID] || containsFold(ref.id, query) || containsFold(ref.userID, query) {
			return true, nil
		}
		s, err := ref.full()
		if err != nil {
			return false, fmt.Errorf("session %s of cluster %s does not decode: %w", ref.id, cl.id, err)
		}
		for _, values := range s.GetClaims() {
			for _, v := range values.GetValues() {
				if containsFold(v.GetStringValue(), query) {
					return true, nil
				}
			}
		}
		return false, nil
	}, scan, nil
}

// describeRefs decodes sessions and adds what the cluster's records say
// of their users.
func (a *App) describeRefs(ctx context.Context, cl *inCluster, refs []*sessionRef) ([]*Session, error) {
	sessions := make([]*sessionpb.Session, len(refs))
	for i, ref := range refs {
		s, err := ref.full()
		if err != nil {
			return nil, fmt.Errorf("session %s of cluster %s does not decode: %w", ref.id, cl.id, err)
		}
		sessions[i] = s
	}
	return a.describeSessions(ctx, cl, sessions)
}

// describeSessions adds to sessions what the cluster's user and directory
// records say of their users and groups.
func (a *App) describeSessions(ctx context.Context, cl *inCluster, sessions []*sessionpb.Session) ([]*Session, error) {
	ids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i] = s.GetUserId()
	}
	people, err := a.people(ctx, cl, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*Session, len(sessions))
	for i, s := range sessions {
		p := people[s.GetUserId()]
		user := Person{ID: s.GetUserId(), Name: cmp.Or(p.user.Name, claim(s, "name")), Email: cmp.Or(p.user.Email, claim(s, "email"))}
		out[i] = &Session{Session: s, ClusterID: cl.id, User: user, Groups: p.groups}
	}
	return out, nil
}

// claim is the first value of a session's claim.
func claim(s *sessionpb.Session, name string) string {
	if values := s.GetClaims()[name].GetValues(); len(values) > 0 {
		return values[0].GetStringValue()
	}
	return ""
}

// person is what a cluster's records say of one user.
type person struct {
	user   Person
	groups []Person
}

// people reads the user and directory records of the users with ids, and
// the directory groups they are in. The directory's name and email win
// over the user record's, as they do in Pomerium's email criterion.
func (a *App) people(ctx context.Context, cl *inCluster, ids []string) (map[string]person, error) {
	users, err := recordsByID(ctx, cl.broker, userType, ids)
	if err != nil {
		return nil, err
	}
	dir, err := recordsByID(ctx, cl.broker, directoryUserType, ids)
	if err != nil {
		return nil, err
	}
	out := map[string]person{}
	var groupIDs []string
	for _, id := range ids {
		var p person
		p.user.ID = id
		if u, _, ok := personOf(users[id]); ok {
			p.user.Name, p.user.Email = u.Name, u.Email
		}
		if d, groups, ok := personOf(dir[id]); ok {
			p.user.Name = cmp.Or(d.Name, p.user.Name)
			p.user.Email = cmp.Or(d.Email, p.user.Email)
			for _, g := range groups {
				p.groups = append(p.groups, Person{ID: g})
				groupIDs = append(groupIDs, g)
			}
		}
		out[id] = p
	}
	groups, err := recordsByID(ctx, cl.broker, directoryGroupType, groupIDs)
	if err != nil {
		return nil, err
	}
	for _, p := range out {
		for i, g := range p.groups {
			if group, ok := groupOf(groups[g.ID]); ok {
				p.groups[i] = group
			}
		}
	}
	return out, nil
}

// personOf reads a user record of Pomerium's, or a directory user's:
// name, email, and (a directory's) the ids of the user's groups. It is
// false for nil or a record that does not decode.
func personOf(r *databrokerpb.Record) (p Person, groups []string, ok bool) {
	if r == nil {
		return Person{}, nil, false
	}
	p.ID = r.GetId()
	if r.GetType() == userType {
		var u userpb.User
		if decode(r, &u) != nil {
			return Person{}, nil, false
		}
		p.Name, p.Email = u.GetName(), u.GetEmail()
		return p, nil, true
	}
	var s structpb.Struct
	if decode(r, &s) != nil {
		return Person{}, nil, false
	}
	p.Name, p.Email = structString(&s, "display_name"), structString(&s, "email")
	return p, structStrings(&s, "group_ids"), true
}

// groupOf reads a directory group record; false for nil or a record that
// does not decode.
func groupOf(r *databrokerpb.Record) (Person, bool) {
	var s structpb.Struct
	if r == nil || decode(r, &s) != nil {
		return Person{}, false
	}
	return Person{ID: r.GetId(), Name: structString(&s, "name"), Email: structString(&s, "email")}, true
}

// associatedLimit caps the other sessions of a user that GetSession
// answers with.
const associatedLimit = 100

// GetSession reads one session of a cluster, and the other sessions of its
// user (newest first, at most 100).
func (a *App) GetSession(ctx context.Context, c *Caller, clusterID, id string) (*Session, []*Session, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, SeeSessions)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.session(ctx, cl, "id", id)
	if err != nil {
		return nil, nil, err
	}
	order, _ := parseSessionOrder("")
	top := newTopK(associatedLimit, order)
	if s.GetUserId() != "" {
		err = a.scanSessions(ctx, cl, sessionScan{users: map[string]bool{s.GetUserId(): true}}, func(o *sessionRef) error {
			if o.id != s.GetId() {
				top.add(o)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	this, err := a.describeSessions(ctx, cl, []*sessionpb.Session{s})
	if err != nil {
		return nil, nil, err
	}
	others, err := a.describeRefs(ctx, cl, top.sorted())
	if err != nil {
		return nil, nil, err
	}
	return this[0], others, nil
}

// session reads one live session; field names its id in the request.
func (a *App) session(ctx context.Context, cl *inCluster, field, id string) (*sessionpb.Session, error) {
	if id == "" {
		return nil, invalid(field, "is required")
	}
	r, err := getRecord(ctx, cl.broker, sessionType, id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, Refuse(CodeNotFound, field, "session %s not found in the cluster's databroker (signed out, expired, or never there)", id)
	}
	s := new(sessionpb.Session)
	if err := decode(r, s); err != nil {
		return nil, fmt.Errorf("session %s of cluster %s does not decode: %w", id, cl.id, err)
	}
	if s.Id == "" {
		s.Id = r.GetId()
	}
	return s, nil
}

// SignedOut is what a sign-out deleted.
type SignedOut struct {
	// Sessions are the ids of the sessions deleted.
	Sessions []string
	// Bindings counts the SSH session and identity bindings deleted.
	Bindings int
}

// SignOut deletes a session of a cluster as Pomerium does when its user
// signs out: the record is put back with deleted_at set. With allOfUser it
// deletes every session of the session's user, and the user's SSH session
// and identity bindings, so that no SSH login outlives them. Pomerium may
// honour a deleted session for up to SignOutDelay.
func (a *App) SignOut(ctx context.Context, c *Caller, clusterID, id string, allOfUser bool) (*SignedOut, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, SignOut)
	if err != nil {
		return nil, err
	}
	s, err := a.session(ctx, cl, "id", id)
	if err != nil {
		return nil, err
	}
	out := &SignedOut{}
	var doomed []*databrokerpb.Record
	if !allOfUser || s.GetUserId() == "" {
		data, err := anypb.New(s)
		if err != nil {
			return nil, err
		}
		doomed = append(doomed, &databrokerpb.Record{Type: sessionType, Id: s.GetId(), Data: data})
		out.Sessions = []string{s.GetId()}
	} else {
		err := a.scanSessions(ctx, cl, sessionScan{users: map[string]bool{s.GetUserId(): true}}, func(o *sessionRef) error {
			out.Sessions = append(out.Sessions, o.id)
			doomed = append(doomed, o.r)
			return nil
		})
		if err != nil {
			return nil, err
		}
		bindings, err := a.userBindings(ctx, cl, s.GetUserId())
		if err != nil {
			return nil, err
		}
		doomed = append(doomed, bindings...)
		out.Bindings = len(bindings)
	}
	if err := deleteRecords(ctx, cl.broker, doomed, timestamppb.New(a.now())); err != nil {
		return nil, err
	}
	users, err := a.people(ctx, cl, []string{s.GetUserId()})
	if err != nil {
		a.log.Error(err, "name the user signed out in the activity log", "session", s.GetId())
	}
	who := users[s.GetUserId()].user
	who.ID = s.GetUserId()
	a.note(ctx, c, store.Note{
		Action: store.ActionSignOut, EntityType: store.EntitySession, EntityID: s.GetId(), NamespaceID: cl.namespace,
		EntityName: who.Label() + ": " + english.Plural(len(out.Sessions), "session"),
	}, map[string]any{"cluster_id": cl.id, "user_id": s.GetUserId(), "sessions": out.Sessions, "ssh_bindings": out.Bindings})
	return out, nil
}

// userBindings reads the SSH session and identity bindings of a user.
// Pomerium indexes both by user_id.
func (a *App) userBindings(ctx context.Context, cl *inCluster, userID string) ([]*databrokerpb.Record, error) {
	filter, err := structpb.NewStruct(map[string]any{"user_id": userID})
	if err != nil {
		return nil, err
	}
	var out []*databrokerpb.Record
	for _, recordType := range []string{sessionBindingType, identityBindingType} {
		err := queryRecords(ctx, cl.broker, "list the user's "+recordType+" records",
			&databrokerpb.QueryRequest{Type: recordType, Filter: filter}, func(r *databrokerpb.Record) bool {
				out = append(out, r)
				return true
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// note records an action on a databroker's entity in the activity log,
// with what describes it. The change is made: a log that cannot be
// written is the console's failure, logged, not the caller's.
func (a *App) note(ctx context.Context, c *Caller, n store.Note, about map[string]any) {
	if about != nil {
		if b, err := json.MarshalIndent(about, "", "  "); err == nil {
			n.Snapshot = string(b)
		}
	}
	if err := a.store.Note(ctx, c.Actor(), n); err != nil {
		a.log.Error(err, "record in the activity log", "action", n.Action, "entity", n.EntityType, "id", n.EntityID)
	}
}

// impersonationLimit caps the sessions offered for impersonation.
const impersonationLimit = 50

// ImpersonationCandidates lists the sessions of a cluster a Global admin
// may impersonate, newest first, matching query as ListSessions does.
func (a *App) ImpersonationCandidates(ctx context.Context, c *Caller, clusterID, query string) ([]*Session, error) {
	if err := c.permit(Impersonate, store.GlobalNamespaceID); err != nil {
		return nil, err
	}
	page, err := a.ListSessions(ctx, c, SessionQuery{ClusterID: clusterID, Query: query, Limit: impersonationLimit})
	if err != nil {
		return nil, err
	}
	out := page.Items[:0]
	for _, s := range page.Items {
		if s.GetId() != c.SessionID {
			out = append(out, s)
		}
	}
	return out, nil
}

// Impersonate makes the caller's own Pomerium session act as the session
// with id: Pomerium then authorizes the caller's requests, and sends
// upstream, as that session's user. An empty id stops impersonating. It
// takes admin of the Global namespace, and a caller who came through
// Pomerium: the caller's session (the sid of Pomerium's assertion) is
// patched, and nothing else.
func (a *App) Impersonate(ctx context.Context, c *Caller, clusterID, id string) error {
	if err := c.permit(Impersonate, store.GlobalNamespaceID); err != nil {
		return err
	}
	if c.SessionID == "" {
		return Refuse(CodeFailedPrecondition, "", "%s did not come through Pomerium (it used a token of the console): only a Pomerium session can impersonate, so open the console through Pomerium", c.Subject)
	}
	if id == c.SessionID {
		return invalid("session_id", "is your own session")
	}
	cl, err := a.databroker(c, "cluster_id", clusterID, SeeSessions)
	if err != nil {
		return err
	}
	own, err := getRecord(ctx, cl.broker, sessionType, c.SessionID)
	if err != nil {
		return err
	}
	if own == nil {
		return Refuse(CodeFailedPrecondition, "", "your Pomerium session %s is not in the cluster's databroker: impersonate in the cluster you came through", c.SessionID)
	}
	patch := &sessionpb.Session{}
	var target *sessionpb.Session
	if id != "" {
		if target, err = a.session(ctx, cl, "session_id", id); err != nil {
			return err
		}
		patch.ImpersonateSessionId = &id
	}
	data, err := anypb.New(patch)
	if err != nil {
		return err
	}
	res, err := cl.broker.Patch(ctx, &databrokerpb.PatchRequest{
		Records:   []*databrokerpb.Record{{Type: sessionType, Id: c.SessionID, Data: data}},
		FieldMask: &fieldmaskpb.FieldMask{Paths: []string{"impersonate_session_id"}},
	})
	if err != nil {
		return unreachable("patch your session", err)
	}
	if len(res.GetRecords()) == 0 {
		return Refuse(CodeFailedPrecondition, "", "your Pomerium session %s ended before it could be patched", c.SessionID)
	}
	name, about := "stopped impersonating", map[string]any{"cluster_id": cl.id, "session_id": c.SessionID}
	if target != nil {
		described, err := a.describeSessions(ctx, cl, []*sessionpb.Session{target})
		if err == nil {
			name = "as " + described[0].User.Label()
		}
		about["impersonate_session_id"], about["impersonate_user_id"] = id, target.GetUserId()
	}
	a.note(ctx, c, store.Note{
		Action: store.ActionImpersonate, EntityType: store.EntitySession, EntityID: cmp.Or(id, c.SessionID),
		EntityName: name, NamespaceID: cl.namespace,
	}, about)
	return nil
}

// Impersonating is the session the caller's own Pomerium session acts as
// in a cluster, or nil when it acts as itself (or the caller has no
// session there). It takes no role: it is about the caller's own session.
func (a *App) Impersonating(ctx context.Context, c *Caller, clusterID string) (*Session, error) {
	if c.SessionID == "" || a.brokers == nil {
		return nil, nil
	}
	cluster, err := c.ClusterID("cluster_id", clusterID)
	if err != nil {
		return nil, err
	}
	cl, err := a.reach("cluster_id", cluster)
	if err != nil {
		return nil, err
	}
	r, err := getRecord(ctx, cl.broker, sessionType, c.SessionID)
	if err != nil || r == nil {
		return nil, err
	}
	var own sessionpb.Session
	if err := decode(r, &own); err != nil || own.GetImpersonateSessionId() == "" {
		return nil, nil //nolint:nilerr // a session that does not decode impersonates no one
	}
	target, err := a.session(ctx, cl, "session_id", own.GetImpersonateSessionId())
	if err != nil {
		if CodeOf(err) == CodeNotFound {
			// Pomerium treats the caller as signed out until it stops.
			return &Session{Session: &sessionpb.Session{Id: own.GetImpersonateSessionId()}, ClusterID: cluster}, nil
		}
		return nil, err
	}
	described, err := a.describeSessions(ctx, cl, []*sessionpb.Session{target})
	if err != nil {
		return nil, err
	}
	return described[0], nil
}
