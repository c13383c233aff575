package manage

import (
	"github.com/pomerium-console/pomerium-console/store"
)

// The secrets of a route (its IdP client secret, Kubernetes token, an MCP
// server's OAuth2 client secret, …) are shown only to callers who may see
// them (SeeRouteSecrets), those of the settings only to SeeSettingsSecrets:
// with them a viewer could impersonate a route to the identity provider or
// write to the databroker. Which fields are secrets is the store's one table
// (store.IsSecret). A key pair's private key is never returned at all.

// redacted is obj as the caller may see it: a copy without the secrets it
// may not read, and the paths of those that held a value; obj itself when
// there is nothing to hide.
func redacted(c *Caller, obj store.Object) (store.Object, []string) {
	switch o := obj.(type) {
	case *store.Route:
		if o.Spec == nil || c.May(SeeRouteSecrets, o.NamespaceID) {
			return obj, nil
		}
		cp := store.Clone(o)
		return cp, store.Redact(cp)
	case *store.Settings:
		if o.Spec == nil || c.May(SeeSettingsSecrets, store.GlobalNamespaceID) {
			return obj, nil
		}
		cp := store.Clone(o)
		return cp, store.Redact(cp)
	}
	return obj, nil
}
