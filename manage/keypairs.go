package manage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// KeyPair is a key pair as callers see it: never with its private key
// (HasPrivateKey says whether one is stored).
type KeyPair struct {
	*store.KeyPair
	Status *store.ObjectStatus
}

// KeyPairQuery selects key pairs of one namespace.
type KeyPairQuery struct {
	ListQuery
	// Domain, when set, keeps the key pairs whose leaf certificate is
	// valid for that host name.
	Domain *string
}

// KeyPairUpdate changes a stored key pair; nil fields keep their value.
type KeyPairUpdate struct {
	ID   string
	Name *string
	// Certificate is PEM.
	Certificate []byte
	// PrivateKey is PEM; empty keeps the stored key, which must then match
	// the certificate.
	PrivateKey []byte
	// ExpectedVersion, when set, is the version the caller read.
	ExpectedVersion *int64
	// Explicit names the optional fields of the writer's message it set to
	// their zero value (store.KeyPair.Explicit); nil keeps the stored ones.
	Explicit []string
}

// GetKeyPair reads a key pair the caller may view.
func (a *App) GetKeyPair(ctx context.Context, c *Caller, id string) (*KeyPair, error) {
	kp, err := get[*store.KeyPair](ctx, a, c, "id", id)
	if err != nil {
		return nil, err
	}
	return one(a.keyPairViews(ctx, c, kp))
}

// KeyPairKey reads the private key (PEM) of a key pair, for a caller who
// may change it (EditKeyPairs): whoever may replace a key may read it.
// A key pair without one has none (nil).
func (a *App) KeyPairKey(ctx context.Context, c *Caller, id string) ([]byte, error) {
	if _, err := getFor[*store.KeyPair](ctx, a, c, EditKeyPairs, "id", id); err != nil {
		return nil, err
	}
	kp, err := store.Get[*store.KeyPair](ctx, a.store, id, store.WithSecrets())
	if err != nil {
		return nil, fmt.Errorf("read the key of key pair %s: %w", id, err)
	}
	return kp.PrivateKey, nil
}

// ListKeyPairs reads a page of the key pairs of a namespace the caller may
// view. With a domain, the key pairs whose certificate is not valid for it
// are left out (a Match, which the store cannot apply).
func (a *App) ListKeyPairs(ctx context.Context, c *Caller, q KeyPairQuery) (*Page[*KeyPair], error) {
	lq := q.ListQuery
	if q.Domain != nil {
		domain, match := *q.Domain, lq.Match
		lq.Match = func(o store.Object) bool {
			return certifies(o.(*store.KeyPair), domain) && (match == nil || match(o))
		}
	}
	page, err := list[*store.KeyPair](ctx, a, c, store.KindKeyPair, lq)
	if err != nil {
		return nil, err
	}
	views, err := a.keyPairViews(ctx, c, page.Items...)
	return &Page[*KeyPair]{Items: views, Total: page.Total, More: page.More}, err
}

// CreateKeyPair creates a key pair (EditKeyPairs). One that names an id
// takes it, unless a key pair has it (CodeAlreadyExists): create never
// updates.
func (a *App) CreateKeyPair(ctx context.Context, c *Caller, kp *store.KeyPair) (*KeyPair, error) {
	if err := CheckKeyPair(kp); err != nil {
		return nil, err
	}
	kp = store.Clone(kp)
	if kp.ID == "" {
		kp.ID = uuid.NewString()
	}
	if err := c.require(EditKeyPairs, kp.NamespaceID, "namespace_id"); err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, kp, &store.PutOp{Object: kp, CreateOnly: true})
	if err != nil {
		return nil, err
	}
	return one(a.keyPairViews(ctx, c, written[0].(*store.KeyPair)))
}

// CheckKeyPair checks what can be checked of a key pair to create on its
// own: its namespace id, name, certificate and key.
func CheckKeyPair(kp *store.KeyPair) error {
	if !store.ValidID(kp.NamespaceID) {
		return invalid("namespace_id", "must be the id of a namespace")
	}
	if err := store.Validate(store.Clone(kp), time.Now(), true); err != nil {
		return fromStore(err, kp)
	}
	return nil
}

// UpdateKeyPair changes what u sets of a key pair (EditKeyPairs).
func (a *App) UpdateKeyPair(ctx context.Context, c *Caller, u KeyPairUpdate) (*KeyPair, error) {
	kp, err := getFor[*store.KeyPair](ctx, a, c, EditKeyPairs, "id", u.ID)
	if err != nil {
		return nil, err
	}
	if u.Name != nil {
		kp.Name = *u.Name
	}
	if u.Certificate != nil {
		kp.Certificate = slices.Clone(u.Certificate)
	}
	kp.PrivateKey = slices.Clone(u.PrivateKey)
	if u.Explicit != nil {
		kp.Explicit = slices.Clone(u.Explicit)
	}
	version, err := pin(u.ExpectedVersion, kp)
	if err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, kp, &store.PutOp{Object: kp, ExpectedVersion: version})
	if err != nil {
		return nil, err
	}
	return one(a.keyPairViews(ctx, c, written[0].(*store.KeyPair)))
}

// DeleteKeyPair deletes a key pair nothing uses any more (EditKeyPairs).
func (a *App) DeleteKeyPair(ctx context.Context, c *Caller, id string) error {
	kp, err := getFor[*store.KeyPair](ctx, a, c, EditKeyPairs, "id", id)
	if err != nil {
		return err
	}
	_, err = a.apply(ctx, c, kp, &store.DeleteOp{Kind: store.KindKeyPair, ID: kp.ID, ExpectedVersion: kp.Version})
	return err
}

// keyPairViews adds the sync status of key pairs.
func (a *App) keyPairViews(ctx context.Context, c *Caller, list ...*store.KeyPair) ([]*KeyPair, error) {
	st, err := objectStatuses(ctx, a, c, store.KindKeyPair, list)
	if err != nil {
		return nil, err
	}
	out := make([]*KeyPair, len(list))
	for i, kp := range list {
		out[i] = &KeyPair{KeyPair: kp, Status: st(kp)}
	}
	return out, nil
}

// certifies reports whether the leaf certificate of kp is valid for host.
func certifies(kp *store.KeyPair, host string) bool {
	certs, err := store.ParseCertificates(kp.Certificate)
	return err == nil && certs[0].VerifyHostname(host) == nil
}
