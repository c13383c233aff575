package convert

import (
	"time"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// ServiceAccountToStore converts a service account of the API. Its
// user_id is the user the account acts as, which the use cases complete
// and check; the times the store and the token verifier keep (issued_at,
// accessed_at) are ignored.
func ServiceAccountToStore(sa *pb.PomeriumServiceAccount) (*store.ServiceAccount, error) {
	expires, err := timeOf("service_account.expires_at", sa.ExpiresAt)
	if err != nil {
		return nil, err
	}
	out := &store.ServiceAccount{
		ObjectMeta:  store.ObjectMeta{ID: sa.Id, NamespaceID: sa.GetNamespaceId()},
		UserID:      sa.UserId,
		Description: sa.GetDescription(),
		ExpiresAt:   expires,
	}
	out.Explicit = ExplicitZeroes(sa, ServiceAccountFromStore(out, time.Time{}))
	return out, nil
}

// ServiceAccountFromStore converts a stored service account for the API,
// with the time its token was last used (zero: never), which the caller
// looks up.
func ServiceAccountFromStore(sa *store.ServiceAccount, accessedAt time.Time) *pb.PomeriumServiceAccount {
	out := &pb.PomeriumServiceAccount{
		Id:          sa.ID,
		NamespaceId: optional(sa.NamespaceID),
		Description: optional(sa.Description),
		UserId:      sa.User(),
		AccessedAt:  Timestamp(accessedAt),
		ExpiresAt:   Timestamp(sa.ExpiresAt),
		IssuedAt:    Timestamp(sa.CreatedAt),
	}
	out.Version, out.SyncStatus = Meta(sa.ObjectMeta, nil)
	RestoreExplicit(out, sa.Explicit)
	return out
}
