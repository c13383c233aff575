package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
)

// Kind says what sort of credential identified a caller.
type Kind string

// The kinds of principals.
const (
	KindUser           Kind = "user"
	KindServiceAccount Kind = "service_account"
	KindRecovery       Kind = "recovery"
	// KindBootstrap is the bootstrap token of the shared secret, which
	// Pomerium's Terraform provider and SDK make from shared_secret.
	KindBootstrap Kind = "bootstrap"
)

// Principal is the caller of one request, as its credential proves it.
type Principal struct {
	Kind Kind
	// Subject names the caller in the activity log: a user's email (or id
	// when there is no email), "service_account:<id>",
	// "recovery:<namespace id>" or a bootstrap token's sub
	// ("bootstrap-<uuid>.pomerium").
	Subject string
	// UserID is the id permissions are granted to: the identity provider's
	// subject for a user, the user a service account acts as (its id unless
	// it chose one: roles are granted to service accounts as to users), the
	// sub of a bootstrap token; empty for recovery.
	UserID string
	Email  string
	Name   string
	// Groups are the user's groups as Pomerium sends them: names or ids.
	Groups []string
	// RecoveryNamespaceID is set for a recovery token, which makes its bearer
	// an admin of that namespace and the namespaces below it.
	RecoveryNamespaceID string
	// Administrator says the caller is listed in the config's administrators
	// and so is an admin of the Global namespace.
	Administrator bool
	// ExpiresAt is when the credential stops being valid; zero if never.
	ExpiresAt time.Time
	// SessionID is the id of the Pomerium session a user came through
	// (the sid of Pomerium's assertion); empty for every other credential.
	SessionID string
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal that WithPrincipal put in ctx.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// administrators matches principals against the config's administrators:
// by user id, by email (case-insensitively, as mail domains are), or by
// group, since the config documents "users or groups".
type administrators []string

func (names administrators) match(p *Principal) bool {
	for _, name := range names {
		switch {
		case name == "":
			continue
		case name == p.UserID, p.Email != "" && strings.EqualFold(name, p.Email), slices.Contains(p.Groups, name):
			return true
		}
	}
	return false
}

// Identity is the principal as the use cases know their caller.
func (p *Principal) Identity() manage.Identity {
	return manage.Identity{
		Subject: p.Subject, UserID: p.UserID, Email: p.Email, Name: p.Name, Groups: p.Groups,
		Administrator: p.Administrator, AdminOf: p.RecoveryNamespaceID, SessionID: p.SessionID,
	}
}
