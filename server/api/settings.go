package api

import (
	"context"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// settings implements SettingsService over the use cases of the settings.
type settings struct{ *Server }

// settingsFields says where the settings' fields are in SetSettings's
// request.
var settingsFields = at{root: "settings"}

func (s *settings) GetSettings(ctx context.Context, req *connect.Request[pb.GetSettingsRequest]) (*connect.Response[pb.GetSettingsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.app.GetSettings(ctx, c, req.Msg.GetClusterId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetSettingsResponse{Settings: convert.SettingsFromStore(st.Settings, st.Status)}), nil
}

// SetSettings replaces the settings with those of the request: a field left
// out goes back to Pomerium's default, as for every Set of the API; the
// stored fields the API has no place for are kept.
func (s *settings) SetSettings(ctx context.Context, req *connect.Request[pb.SetSettingsRequest]) (*connect.Response[pb.SetSettingsResponse], error) {
	spec, err := settingsFromRequest(req.Msg)
	if err != nil {
		return nil, err
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.app.SetSettings(ctx, c, manage.SettingsInput{Cluster: req.Msg.GetSettings().GetClusterId(), Spec: spec, ExpectedVersion: req.Msg.ExpectedVersion,
		Through: convert.SettingsThrough, Explicit: convert.SettingsExplicit(req.Msg.GetSettings(), spec)})
	if err != nil {
		return nil, s.fail(ctx, err, settingsFields)
	}
	return connect.NewResponse(&pb.SetSettingsResponse{Settings: convert.SettingsFromStore(st.Settings, st.Status)}), nil
}

// settingsFromRequest converts and checks the settings of a SetSettings
// request as far as that needs nothing but the request: every refusal is
// InvalidArgument naming a field of the request.
func settingsFromRequest(req *pb.SetSettingsRequest) (*configpb.Settings, error) {
	if req.GetSettings() == nil {
		return nil, invalid("settings", "is required")
	}
	spec, err := convert.SettingsToStore(req.GetSettings())
	if err != nil {
		return nil, refusal(err, at{})
	}
	if err := manage.CheckSettings(spec); err != nil {
		return nil, refusal(err, settingsFields)
	}
	return spec, nil
}

// GetBrandingSettings answers with the branding fields of the settings
// only, which Pomerium shows to anyone anyway.
func (s *settings) GetBrandingSettings(ctx context.Context, req *connect.Request[pb.GetSettingsRequest]) (*connect.Response[pb.GetSettingsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.app.Branding(ctx, c, req.Msg.GetClusterId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := convert.SettingsFromStore(&store.Settings{ObjectMeta: store.ObjectMeta{ID: st.ID}, Spec: st.Spec}, nil)
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
