package api

import (
	"context"
	"strings"
	"time"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// settings implements SettingsService over the one global Settings object,
// which lives in the Global namespace. Reading it takes viewer of Global
// and writing it admin of Global; a caller without the role is told so
// (PermissionDenied), since the settings' existence is no secret. Secrets
// in the settings (shared_secret and the like, see settingssecrets.go) are
// shown to admins of Global only. Branding and the console's own settings
// are what every page of a console shows, so any authenticated caller may
// read them.
type settings struct{ *Server }

func (s *settings) GetSettings(ctx context.Context, req *connect.Request[pb.GetSettingsRequest]) (*connect.Response[pb.GetSettingsResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.permit(store.GlobalNamespaceID, store.RoleViewer); err != nil {
		return nil, err
	}
	out, err := s.readSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !a.can(store.GlobalNamespaceID, store.RoleAdmin) {
		redactSettings(out)
	}
	return connect.NewResponse(&pb.GetSettingsResponse{Settings: out}), nil
}

// SetSettings replaces the settings with those of the request: a field left
// out goes back to Pomerium's default, as for every Set of the API.
func (s *settings) SetSettings(ctx context.Context, req *connect.Request[pb.SetSettingsRequest]) (*connect.Response[pb.SetSettingsResponse], error) {
	in, err := settingsFromRequest(req.Msg)
	if err != nil {
		return nil, err
	}
	a, err := s.access(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.permit(store.GlobalNamespaceID, store.RoleAdmin); err != nil {
		return nil, err
	}
	old, err := store.Get[*store.Settings](ctx, s.store, store.SettingsID, store.WithSecrets())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	convert.KeepUnexpressed(in.Spec, old.Spec)
	// Refuse now what compilation would refuse later (Pomerium would stay on
	// the last good settings), so that the caller learns why at once.
	if st := compile.CheckSettings(in.Spec); !st.Valid {
		return nil, invalid("settings"+strings.TrimPrefix(st.Field, "spec"), "%s", st.Reason)
	}
	written, err := store.Put(ctx, s.store, a.actor(), in, req.Msg.GetExpectedVersion())
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out, err := s.settingsOut(ctx, written)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pb.SetSettingsResponse{Settings: out}), nil
}

// GetBrandingSettings answers with the branding fields of the settings
// only: colours, logo, favicon and the first paragraph of Pomerium's error
// page, which Pomerium shows to anyone anyway.
func (s *settings) GetBrandingSettings(ctx context.Context, req *connect.Request[pb.GetSettingsRequest]) (*connect.Response[pb.GetSettingsResponse], error) {
	if err := noCluster(req.Msg.GetClusterId()); err != nil {
		return nil, err
	}
	all, err := s.readSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := &pb.Settings{
		Id:                         all.Id,
		PrimaryColor:               all.PrimaryColor,
		SecondaryColor:             all.SecondaryColor,
		DarkmodePrimaryColor:       all.DarkmodePrimaryColor,
		DarkmodeSecondaryColor:     all.DarkmodeSecondaryColor,
		LogoUrl:                    all.LogoUrl,
		FaviconUrl:                 all.FaviconUrl,
		ErrorMessageFirstParagraph: all.ErrorMessageFirstParagraph,
	}
	return connect.NewResponse(&pb.GetSettingsResponse{Settings: out}), nil
}

// GetConsoleSettings describes this console. It has no feedback widget,
// writes every change at once rather than in change sets, and sends no
// diagnostics anywhere: those switches are false because that is what the
// console does. It has no installation id either (the Enterprise Console's
// comes with its licence), so installation_id is left empty rather than
// made up.
func (s *settings) GetConsoleSettings(context.Context, *connect.Request[pb.GetConsoleSettingsRequest]) (*connect.Response[pb.GetConsoleSettingsResponse], error) {
	return connect.NewResponse(&pb.GetConsoleSettingsResponse{ConsoleSettings: &pb.ConsoleSettings{
		EnableFeedbackWidget:    false,
		UseChangesets:           false,
		EnableRemoteDiagnostics: false,
	}}), nil
}

// readSettings returns the stored settings with their sync status.
func (s *settings) readSettings(ctx context.Context) (*pb.Settings, error) {
	st, err := store.Get[*store.Settings](ctx, s.store, store.SettingsID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.settingsOut(ctx, st)
}

// settingsOut converts the settings with their sync status.
func (s *settings) settingsOut(ctx context.Context, st *store.Settings) (*pb.Settings, error) {
	statuses, err := s.statuses(ctx, store.KindSettings, store.SettingsID)
	if err != nil {
		return nil, err
	}
	return convert.SettingsFromStore(st, statusOf(statuses, store.SettingsID)), nil
}

// settingsFromRequest converts and checks the settings of a SetSettings
// request as far as that needs nothing but the request: every refusal is
// InvalidArgument naming a field of the request.
func settingsFromRequest(req *pb.SetSettingsRequest) (*store.Settings, error) {
	in := req.GetSettings()
	if in == nil {
		return nil, invalid("settings", "is required")
	}
	spec, err := convert.SettingsToStore(in)
	if err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	out := &store.Settings{ObjectMeta: store.ObjectMeta{ID: store.SettingsID}, Spec: spec}
	if err := store.Validate(store.Clone(out), time.Now(), false); err != nil {
		// The store names the settings' spec "spec"; the request calls it
		// "settings".
		return nil, requestFieldError(err, map[string]string{"spec": "settings"})
	}
	return out, nil
}
