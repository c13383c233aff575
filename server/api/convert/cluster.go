package convert

import (
	"encoding/base64"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// ClusterUnconverted are the fields of pomerium.dashboard.Cluster not
// taken from input, with the reason.
var ClusterUnconverted = map[string]string{
	"created_at":    "the store keeps when the cluster was added",
	"modified_at":   "the store keeps when the cluster last changed",
	"deleted_at":    "a deleted cluster is not shown",
	"originator_id": "who wrote the cluster is in the activity log",
	"shared_secret": "write only: it is sealed at rest and never returned",
}

// ClusterToStore converts a cluster of the API. The shared secret is the
// 32 bytes of the cluster's shared_secret; its base64 text (what
// Pomerium's configuration holds) is accepted too. An empty secret keeps
// the stored one on update. An empty certificate_authority that is set is
// refused: leaving it out is how a cluster has none.
func ClusterToStore(c *pb.Cluster) (*store.Cluster, error) {
	if c.CertificateAuthority != nil && len(c.CertificateAuthority) == 0 {
		return nil, fieldErrorf("cluster.certificate_authority", "is empty: leave it out for a cluster without one")
	}
	secret := c.GetSharedSecret()
	if len(secret) != 32 {
		if raw, err := base64.StdEncoding.DecodeString(string(secret)); err == nil && len(raw) == 32 {
			secret = raw
		}
	}
	return &store.Cluster{
		ObjectMeta:               store.ObjectMeta{ID: c.GetId(), Name: c.GetName()},
		DatabrokerServiceURL:     c.GetDatabrokerServiceUrl(),
		SharedSecret:             secret,
		InsecureSkipVerify:       clonePtr(c.InsecureSkipVerify),
		OverrideCertificateName:  clonePtr(c.OverrideCertificateName),
		CertificateAuthority:     append([]byte(nil), c.GetCertificateAuthority()...),
		CertificateAuthorityFile: clonePtr(c.CertificateAuthorityFile),
	}, nil
}

// ClusterFromStore converts a cluster for the API, without its shared
// secret.
func ClusterFromStore(c *store.Cluster) *pb.Cluster {
	out := &pb.Cluster{
		Id: c.ID, Name: c.Name, DatabrokerServiceUrl: c.DatabrokerServiceURL,
		CreatedAt: Timestamp(c.CreatedAt), ModifiedAt: Timestamp(c.ModifiedAt),
		InsecureSkipVerify:       clonePtr(c.InsecureSkipVerify),
		OverrideCertificateName:  clonePtr(c.OverrideCertificateName),
		CertificateAuthorityFile: clonePtr(c.CertificateAuthorityFile),
	}
	if len(c.CertificateAuthority) > 0 {
		out.CertificateAuthority = append([]byte(nil), c.CertificateAuthority...)
	}
	return out
}
