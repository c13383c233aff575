package manage

import (
	"context"
	"fmt"

	"github.com/pomerium-console/pomerium-console/manifest"
	"github.com/pomerium-console/pomerium-console/store"
)

// ExportInput says what an export writes.
type ExportInput struct {
	// Namespace is the namespace the document declares, with everything
	// below it: an id or a path; empty is the Global namespace (and the
	// settings).
	Namespace string
	// Secrets writes the secrets of routes and settings and the private
	// keys of key pairs, which takes SeeRouteSecrets and EditKeyPairs in
	// the namespace (and SeeSettingsSecrets for the Global namespace);
	// without it they are listed as omitted.
	Secrets bool
}

// Export writes the desired state of a namespace the caller may view, and
// everything below it, as a declarative document (manifest.Export): the
// objects the caller may see, read in one snapshot.
func (a *App) Export(ctx context.Context, c *Caller, in ExportInput) (*manifest.Document, error) {
	ns, err := a.ResolveNamespace(ctx, c, in.Namespace)
	if err != nil {
		return nil, under(err, "namespace")
	}
	var opts []store.GetOption
	if in.Secrets {
		actions := []Action{SeeRouteSecrets, EditKeyPairs}
		if ns == store.GlobalNamespaceID {
			actions = append(actions, SeeSettingsSecrets)
		}
		for _, act := range actions {
			if err := c.permit(act, ns); err != nil {
				return nil, Refuse(CodePermissionDenied, "secrets", "%s may not export secrets: %s", c.Subject, err.Error())
			}
		}
		opts = append(opts, store.WithSecrets())
	}
	st, err := a.store.Load(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("read desired state: %w", err)
	}
	return manifest.Export(st, manifest.ExportOptions{
		Scope: ns, Secrets: in.Secrets,
		Include: func(obj store.Object) bool { return c.Sees(home(obj)) },
	})
}
