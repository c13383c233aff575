package convert

import (
	"bytes"
	"crypto/x509"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// KeyPairFromCreate converts a request to create a key pair. The only
// format is PEM, which an unset format means too.
func KeyPairFromCreate(req *pb.CreateKeyPairRequest) (*store.KeyPair, error) {
	if err := checkFormat(req.Format); err != nil {
		return nil, err
	}
	return &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{ID: req.GetId(), NamespaceID: req.NamespaceId, Name: req.Name},
		Certificate: bytes.Clone(req.Certificate),
		PrivateKey:  bytes.Clone(req.Key),
	}, nil
}

// KeyPairUpdate converts a request to update a key pair: the fields it
// sets. A key left out (or empty) keeps the stored one.
func KeyPairUpdate(req *pb.UpdateKeyPairRequest) (manage.KeyPairUpdate, error) {
	if req.Format != nil {
		if err := checkFormat(*req.Format); err != nil {
			return manage.KeyPairUpdate{}, err
		}
	}
	return manage.KeyPairUpdate{
		ID: req.GetId(), Name: clonePtr(req.Name), Certificate: bytes.Clone(req.Certificate),
		PrivateKey: bytes.Clone(req.Key), ExpectedVersion: clonePtr(req.ExpectedVersion),
	}, nil
}

func checkFormat(f pb.Format) error {
	if f != pb.Format_PEM && f != pb.Format_FORMAT_UNDEFINED_DO_NOT_USE {
		return fieldErrorf("key_pair.format", "value %d is not a known Format: certificates and keys are PEM", f)
	}
	return nil
}

// KeyPairFromStore converts a stored key pair for the API: its certificate
// with the details of the first (leaf) certificate, never its private key.
// A certificate that does not parse gets no details; the store refuses
// such input, and the reconciler reports it. st is the reconciler's finding
// about the key pair (nil: none yet; see Meta).
func KeyPairFromStore(kp *store.KeyPair, st *store.ObjectStatus) *pb.KeyPairRecord {
	out := &pb.KeyPairRecord{
		Id:            kp.ID,
		Name:          kp.Name,
		NamespaceId:   kp.NamespaceID,
		CreatedAt:     Timestamp(kp.CreatedAt),
		ModifiedAt:    Timestamp(kp.ModifiedAt),
		HasPrivateKey: kp.HasPrivateKey || len(kp.PrivateKey) > 0,
		Certificate:   bytes.Clone(kp.Certificate),
	}
	if certs, err := store.ParseCertificates(kp.Certificate); err == nil {
		out.CertInfo = certificateInfo(certs[0])
	}
	out.Version, out.SyncStatus = Meta(kp.ObjectMeta, st)
	return out
}

// certInfoOut copies the compiler's certificate description into the API's
// message of the same shape.
var certInfoOut = outputCopier(nil)

// certificateInfo describes a certificate as pomerium.dashboard does: the
// description the compiler writes into KeyPair records.
func certificateInfo(c *x509.Certificate) *pb.CertificateInfo {
	out := &pb.CertificateInfo{}
	certInfoOut.mustCopy(out, compile.CertificateInfo(c))
	return out
}
