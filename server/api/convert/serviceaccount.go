package convert

import (
	"time"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// ServiceAccountToStore converts a service account of the API. Its user id
// is its id, so user_id may only repeat it; the times the store and the
// token verifier keep (issued_at, accessed_at) are ignored.
func ServiceAccountToStore(sa *pb.PomeriumServiceAccount) (*store.ServiceAccount, error) {
	if sa.UserId != "" && sa.UserId != sa.Id {
		return nil, fieldErrorf("service_account.user_id", "is the account's id and cannot be chosen: leave it empty")
	}
	expires, err := timeOf("service_account.expires_at", sa.ExpiresAt)
	if err != nil {
		return nil, err
	}
	return &store.ServiceAccount{
		ObjectMeta:  store.ObjectMeta{ID: sa.Id, NamespaceID: sa.GetNamespaceId()},
		Description: sa.GetDescription(),
		ExpiresAt:   expires,
	}, nil
}

// ServiceAccountFromStore converts a stored service account for the API,
// with the time its token was last used (zero: never), which the caller
// looks up.
func ServiceAccountFromStore(sa *store.ServiceAccount, accessedAt time.Time) *pb.PomeriumServiceAccount {
	out := &pb.PomeriumServiceAccount{
		Id:          sa.ID,
		NamespaceId: optional(sa.NamespaceID),
		Description: optional(sa.Description),
		UserId:      sa.ID,
		AccessedAt:  timestamp(accessedAt),
		ExpiresAt:   timestamp(sa.ExpiresAt),
		IssuedAt:    timestamp(sa.CreatedAt),
	}
	out.Version, out.SyncStatus = Meta(sa.ObjectMeta, nil)
	return out
}
