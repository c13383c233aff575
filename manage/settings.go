package manage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// Settings are Pomerium's settings as a caller sees them.
type Settings struct {
	*store.Settings
	Status *store.ObjectStatus
	// SecretsHidden says the caller may not read the secrets of the
	// settings (SeeSettingsSecrets): they are cleared.
	SecretsHidden bool
}

// SettingsInput replaces the settings.
type SettingsInput struct {
	Spec *configpb.Settings
	// ExpectedVersion, when set, is the version the caller read: an object
	// at another version is not written (CodeConflict). Unset, the write is
	// pinned to the version the use case read.
	ExpectedVersion *int64
	// Through, for a writer whose own message cannot hold every field of
	// the settings, is a stored spec after a trip through that message:
	// the stored fields that do not survive it are kept (see RouteInput).
	Through func(*configpb.Settings) (*configpb.Settings, error)
	// Explicit names the optional fields of the writer's message it set to
	// their zero value where Spec cannot tell that from unset
	// (store.Settings.Explicit); nil keeps the stored ones (keepExplicit).
	Explicit []string
}

// GetSettings reads the settings: View in the Global namespace, which
// holds them. A caller without the role is told so (their existence is
// no secret).
func (a *App) GetSettings(ctx context.Context, c *Caller) (*Settings, error) {
	if err := c.permit(View, store.GlobalNamespaceID); err != nil {
		return nil, err
	}
	st, err := a.settings(ctx, false)
	if err != nil {
		return nil, err
	}
	return a.settingsView(ctx, c, st)
}

// Branding reads the settings any authenticated caller may read: those
// Pomerium shows anyone on its pages (colours, logo, the error page's
// first paragraph). Everything else of the returned settings is empty.
func (a *App) Branding(ctx context.Context) (*Settings, error) {
	st, err := a.settings(ctx, false)
	if err != nil {
		return nil, err
	}
	s := st.Spec
	out := store.Clone(st)
	// Every branding field has presence of its own: none is explicit.
	out.Explicit = nil
	out.Spec = &configpb.Settings{
		PrimaryColor: s.PrimaryColor, SecondaryColor: s.SecondaryColor,
		DarkmodePrimaryColor: s.DarkmodePrimaryColor, DarkmodeSecondaryColor: s.DarkmodeSecondaryColor,
		LogoUrl: s.LogoUrl, FaviconUrl: s.FaviconUrl, ErrorMessageFirstParagraph: s.ErrorMessageFirstParagraph,
	}
	return &Settings{Settings: out}, nil
}

// SetSettings replaces the settings (EditSettings in the Global namespace):
// a field left out goes back to Pomerium's default. Settings compilation
// would refuse are refused now, naming the field.
func (a *App) SetSettings(ctx context.Context, c *Caller, in SettingsInput) (*Settings, error) {
	if err := CheckSettings(in.Spec); err != nil {
		return nil, err
	}
	next := settingsObject(in.Spec)
	next.Explicit = slices.Clone(in.Explicit)
	if err := c.permit(EditSettings, store.GlobalNamespaceID); err != nil {
		return nil, err
	}
	old, err := a.settings(ctx, true)
	if err != nil {
		return nil, err
	}
	keepExplicit(next, old)
	if in.Through != nil && old.Spec != nil {
		keepUnexpressed(next.Spec, old.Spec, throughOf(in.Through, old.Spec))
	}
	// Refuse now what compilation would refuse later (Pomerium would stay
	// on the last good settings), so that the caller learns why at once.
	if st := compile.CheckSettings(next.Spec); !st.Valid {
		return nil, invalid(objectPath(st.Field), "%s", st.Reason)
	}
	op := &store.PutOp{Object: next}
	if op.ExpectedVersion, err = pin(in.ExpectedVersion, old); err != nil {
		return nil, err
	}
	if op.ExpectedVersion == 0 {
		// Never written: no version to find, but the first write must
		// still be the one decided on.
		op.CreateOnly = true
	}
	written, err := a.apply(ctx, c, next, op)
	if CodeOf(err) == CodeAlreadyExists {
		return nil, Refuse(CodeConflict, "version", "the settings were written meanwhile: read them again")
	}
	if err != nil {
		return nil, err
	}
	return a.settingsView(ctx, c, written[0].(*store.Settings))
}

// CheckSettings checks settings to write on their own, as the store and
// compilation would.
func CheckSettings(spec *configpb.Settings) error {
	next := settingsObject(spec)
	if err := store.Validate(store.Clone(next), time.Now(), false); err != nil {
		return fromStore(err, next)
	}
	if st := compile.CheckSettings(next.Spec); !st.Valid {
		return invalid(objectPath(st.Field), "%s", st.Reason)
	}
	return nil
}

// settingsObject is the settings object of a spec (nil: every default).
func settingsObject(spec *configpb.Settings) *store.Settings {
	if spec == nil {
		spec = &configpb.Settings{}
	}
	return store.Clone(&store.Settings{ObjectMeta: store.ObjectMeta{ID: store.SettingsID}, Spec: spec})
}

// settings reads the stored settings, with their secrets when asked.
func (a *App) settings(ctx context.Context, secrets bool) (*store.Settings, error) {
	var opts []store.GetOption
	if secrets {
		opts = append(opts, store.WithSecrets())
	}
	st, err := store.Get[*store.Settings](ctx, a.store, store.SettingsID, opts...)
	if err != nil {
		return nil, fmt.Errorf("read the settings: %w", err)
	}
	if st.Spec == nil {
		st.Spec = &configpb.Settings{}
	}
	return st, nil
}

// settingsView adds the sync status and hides the secrets from a caller
// who may not read them.
func (a *App) settingsView(ctx context.Context, c *Caller, st *store.Settings) (*Settings, error) {
	statuses, err := a.statuses(ctx, store.KindSettings, store.SettingsID)
	if err != nil {
		return nil, err
	}
	out := &Settings{Settings: st, Status: statusOf(statuses, store.SettingsID)}
	if !c.May(SeeSettingsSecrets, store.GlobalNamespaceID) {
		shown, _ := redacted(c, st)
		out.Settings, out.SecretsHidden = shown.(*store.Settings), true
	}
	return out, nil
}
