package api

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
)

// noticeHeader carries, on the answer of a sign-out, how long Pomerium may
// still honour the deleted sessions: the response message has no field
// for it.
const noticeHeader = "Pomerium-Console-Notice"

// sessions implements PomeriumSessionService over the sessions of the
// clusters' databrokers.
type sessions struct{ *Server }

func (s *sessions) ListPomeriumSessions(ctx context.Context, req *connect.Request[pb.ListPomeriumSessionsRequest]) (*connect.Response[pb.ListPomeriumSessionsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	page, err := s.app.ListSessions(ctx, c, manage.SessionQuery{
		ClusterID: m.GetClusterId(), Query: m.GetQuery(), UserID: m.GetUserId(), OrderBy: m.GetOrderBy(),
		Offset: int(m.GetOffset()), Limit: int(m.GetLimit()),
	})
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListPomeriumSessionsResponse{TotalCount: int64(page.Total)}
	for _, ses := range page.Items {
		out.Sessions = append(out.Sessions, sessionOut(ses))
	}
	return connect.NewResponse(out), nil
}

func (s *sessions) GetPomeriumSession(ctx context.Context, req *connect.Request[pb.GetPomeriumSessionRequest]) (*connect.Response[pb.GetPomeriumSessionResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	ses, others, err := s.app.GetSession(ctx, c, req.Msg.GetClusterId(), req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.GetPomeriumSessionResponse{Session: sessionOut(ses)}
	for _, o := range others {
		out.AssociatedSessions = append(out.AssociatedSessions, sessionOut(o))
	}
	return connect.NewResponse(out), nil
}

// DeletePomeriumSession signs a session out; with block_user, every
// session of its user and the user's SSH bindings. The console cannot stop
// the user from signing in again: that is the identity provider's.
func (s *sessions) DeletePomeriumSession(ctx context.Context, req *connect.Request[pb.DeletePomeriumSessionRequest]) (*connect.Response[pb.DeletePomeriumSessionResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.app.SignOut(ctx, c, req.Msg.GetClusterId(), req.Msg.GetId(), req.Msg.GetBlockUser()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	res := connect.NewResponse(&pb.DeletePomeriumSessionResponse{})
	res.Header().Set(noticeHeader, manage.SignOutNotice)
	return res, nil
}

func (s *sessions) ListPomeriumSessionsForImpersonation(ctx context.Context, req *connect.Request[pb.ListPomeriumSessionsForImpersonationRequest]) (*connect.Response[pb.ListPomeriumSessionsForImpersonationResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.app.ImpersonationCandidates(ctx, c, req.Msg.GetClusterId(), req.Msg.GetQuery())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListPomeriumSessionsForImpersonationResponse{}
	for _, ses := range list {
		out.Sessions = append(out.Sessions, &pb.ListPomeriumSessionsForImpersonationResponse_Session{
			Id: ses.GetId(), UserDisplayName: ses.User.Name, UserEmail: ses.User.Email,
		})
	}
	return connect.NewResponse(out), nil
}

func (s *sessions) Impersonate(ctx context.Context, req *connect.Request[pb.ImpersonateRequest]) (*connect.Response[pb.ImpersonateResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.Impersonate(ctx, c, req.Msg.GetClusterId(), req.Msg.GetSessionId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.ImpersonateResponse{}), nil
}

// sessionOut is a session as the API shows it: no token of it leaves the
// console.
func sessionOut(ses *manage.Session) *pb.PomeriumSession {
	out := &pb.PomeriumSession{
		Id:     ses.GetId(),
		User:   &pb.PomeriumSession_User{Id: ses.User.ID, Name: ses.User.Name, Email: ses.User.Email},
		Issuer: ses.Issuer(), AccessedAt: ses.GetAccessedAt(), IssuedAt: ses.GetIssuedAt(), ExpiresAt: ses.GetExpiresAt(),
		Audience: ses.GetAudience(), Claims: map[string]*structpb.ListValue{},
	}
	for _, g := range ses.Groups {
		out.Groups = append(out.Groups, &pb.PomeriumSession_Group{Id: g.ID, Name: g.Name, Email: g.Email})
	}
	for k, v := range ses.GetClaims() {
		out.Claims[k] = v
	}
	if out.IssuedAt == nil {
		out.IssuedAt = ses.GetIdToken().GetIssuedAt()
	}
	return out
}
