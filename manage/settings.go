package manage

import (
	"cmp"
	"context"
	"errors"
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
	// Cluster is the id of the cluster whose settings these are; empty:
	// the default cluster's.
	Cluster string
	Spec    *configpb.Settings
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

// GetSettings reads the settings of a cluster (empty: the default
// cluster): View in the cluster's namespace, which holds them. A caller
// without the role in the Global namespace is told so (the default
// cluster's settings are no secret); another cluster the caller may not
// see is not found.
func (a *App) GetSettings(ctx context.Context, c *Caller, cluster string) (*Settings, error) {
	cluster, err := c.ClusterID("cluster_id", cluster)
	if err != nil {
		return nil, err
	}
	if err := c.permit(View, cluster); err != nil {
		return nil, err
	}
	st, err := a.settings(ctx, cluster, false)
	if err != nil {
		return nil, err
	}
	return a.settingsView(ctx, c, st)
}

// Branding reads the settings any authenticated caller may read: those
// Pomerium shows anyone on its pages (colours, logo, the error page's
// first paragraph). Everything else of the returned settings is empty.
//
// Another cluster's branding (cluster set) is read by callers who may see
// the cluster; the default cluster's by anyone (c may be nil).
func (a *App) Branding(ctx context.Context, c *Caller, cluster string) (*Settings, error) {
	if cluster != "" && cluster != store.DefaultClusterID {
		if c == nil {
			return nil, Refuse(CodeNotFound, "cluster_id", "cluster %s not found", cluster)
		}
		var err error
		if cluster, err = c.ClusterID("cluster_id", cluster); err != nil {
			return nil, err
		}
	}
	st, err := a.settings(ctx, cmp.Or(cluster, store.DefaultClusterID), false)
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

// SetSettings replaces the settings of a cluster (EditSettings in the
// cluster's namespace): a field left out goes back to Pomerium's default.
// Settings compilation would refuse are refused now, naming the field.
func (a *App) SetSettings(ctx context.Context, c *Caller, in SettingsInput) (*Settings, error) {
	cluster, err := c.ClusterID("cluster_id", in.Cluster)
	if err != nil {
		return nil, err
	}
	if err := CheckSettings(in.Spec); err != nil {
		return nil, err
	}
	next := settingsObject(in.Spec)
	next.ID = settingsID(cluster)
	next.Explicit = slices.Clone(in.Explicit)
	if err := c.permit(EditSettings, cluster); err != nil {
		return nil, err
	}
	old, err := a.settings(ctx, cluster, true)
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

// settingsID is the id of a cluster's settings.
func settingsID(cluster string) string {
	if cluster == store.DefaultClusterID {
		return store.SettingsID
	}
	return cluster
}

// settings reads the stored settings of a cluster, with their secrets when
// asked; settings never written are empty, at version 0.
func (a *App) settings(ctx context.Context, cluster string, secrets bool) (*store.Settings, error) {
	var opts []store.GetOption
	if secrets {
		opts = append(opts, store.WithSecrets())
	}
	id := settingsID(cluster)
	st, err := store.Get[*store.Settings](ctx, a.store, id, opts...)
	if errors.Is(err, store.ErrNotFound) {
		st, err = &store.Settings{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: cluster}}, nil
	}
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
	status, err := objectStatuses(ctx, a, c, store.KindSettings, []*store.Settings{st})
	if err != nil {
		return nil, err
	}
	out := &Settings{Settings: st, Status: status(st)}
	if !c.May(SeeSettingsSecrets, compile.SettingsCluster(st.ID)) {
		shown, _ := redacted(c, st)
		out.Settings, out.SecretsHidden = shown.(*store.Settings), true
	}
	return out, nil
}
