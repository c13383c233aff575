package manage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/store"
)

// The user of a service account.
//
// An account acts as a user: the sub of its tokens and the user subject
// of the permissions that give it roles. Its creator may choose that user
// (user_id, the Terraform provider's name): an existing user for it to act
// as, or a new user name. In the Global namespace the user id is kept as
// given; in any other it is NAME@NAMESPACE_ID.pomerium, as the Enterprise
// console names it, so that accounts of different namespaces never share a
// user by accident. An account created without one acts as the user named
// by its own id. The user id is unique among the accounts of a namespace
// and never changes.
//
// RBAC: the account's role in a namespace is what the permissions granted
// to the user subject of exactly that id give, inherited down the tree as
// every role is; permissions naming a person's email or groups do not
// follow, since the account has neither, and the configured administrators
// never name it. Nobody may create an account acting as a user who holds a
// role above their own in any namespace, nor give an account a new token
// (by extending its expiry) in that case: an account never lends its
// creator a role the creator could not grant (outranks).

// serviceAccountDomain ends the user id of an account outside Global.
const serviceAccountDomain = ".pomerium"

// ServiceAccountUserID is the user id an account created in namespaceID
// with the chosen userID takes: userID itself in the Global namespace,
// elsewhere userID@namespaceID.pomerium unless userID is already exactly
// that; "" for none chosen. A user id that ends in the suffix of another
// namespace is refused.
func ServiceAccountUserID(namespaceID, userID string) (string, error) {
	if userID == "" || namespaceID == store.GlobalNamespaceID {
		return userID, nil
	}
	suffix := "@" + namespaceID + serviceAccountDomain
	if name, ok := strings.CutSuffix(userID, suffix); ok {
		if name == "" {
			return "", invalid("user_id", "%q names no user before %s", userID, suffix)
		}
		return userID, nil
	}
	if at := strings.LastIndex(userID, "@"); at >= 0 {
		if host, ok := strings.CutSuffix(userID[at+1:], serviceAccountDomain); ok {
			if u, err := uuid.Parse(host); err == nil {
				if u.String() == namespaceID {
					return "", invalid("user_id", "%q spells the id of namespace %s otherwise: write %s%s", userID, namespaceID, userID[:at], suffix)
				}
				return "", invalid("user_id", "%q ends in the suffix of namespace %s, but the account is in namespace %s: send %s%s or %s alone",
					userID, u, namespaceID, userID[:at], suffix, userID[:at])
			}
		}
	}
	full := userID + suffix
	if len(full) > store.MaxNameLength {
		return "", invalid("user_id", "is %d bytes long with the suffix %s, at most %d allowed", len(full), suffix, store.MaxNameLength)
	}
	return full, nil
}

// sameUser reports whether userID, as a client sends it back (the whole
// user id, or as it chose it before the suffix), names the user of sa.
func sameUser(sa *store.ServiceAccount, userID string) bool {
	if userID == sa.User() {
		return true
	}
	full, err := ServiceAccountUserID(sa.NamespaceID, userID)
	return err == nil && full == sa.User()
}

// userFree refuses a user id another account of the namespace acts as:
// one that chose it, or one without a chosen id whose id it is (which the
// store's unique key of chosen ids does not see).
func (a *App) userFree(ctx context.Context, sa *store.ServiceAccount) error {
	got, err := a.store.List(ctx, store.KindServiceAccount, store.ListQuery{NamespaceID: sa.NamespaceID})
	if err != nil {
		return fmt.Errorf("list the service accounts of namespace %s: %w", sa.NamespaceID, err)
	}
	for _, other := range objectsOf[*store.ServiceAccount](got.Objects) {
		if other.User() == sa.UserID {
			return Refuse(CodeAlreadyExists, "user_id", "service account %s of namespace %s already acts as user %q", other.ID, sa.NamespaceID, sa.UserID)
		}
	}
	return nil
}

// exceeds returns a namespace where the user holds a role above the
// caller's, and that role; "" when there is none.
func exceeds(c *Caller, userID string) (string, store.Role) {
	roles := c.RolesOf(userID, "", nil)
	namespaces := make([]string, 0, len(roles))
	for ns := range roles {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	for _, ns := range namespaces {
		if !atLeast(c.Role(ns), roles[ns]) {
			return ns, roles[ns]
		}
	}
	return "", ""
}

// mayActAs refuses to create an account acting as a user who holds a role
// the caller does not: its token would lend the caller that role. A
// namespace the caller cannot see is not named.
func mayActAs(c *Caller, userID string) error {
	ns, role := exceeds(c, userID)
	switch {
	case ns == "":
		return nil
	case c.Sees(ns):
		return Refuse(CodePermissionDenied, "user_id", "%s may not create a service account acting as user %q, who is %s of namespace %s where %s is %s",
			c.Subject, userID, role, ns, c.Subject, roleName(c.Role(ns)))
	}
	return Refuse(CodePermissionDenied, "user_id", "%s may not create a service account acting as user %q, who holds a role in a namespace %s cannot see",
		c.Subject, userID, c.Subject)
}

// roleName names a role, "no role" for none.
func roleName(r store.Role) string {
	if r == "" {
		return "no role"
	}
	return string(r)
}
