package convert

import (
	"bytes"
	"encoding/base64"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// Every field of a cluster is carried there and back but those listed,
// among which the shared secret, which never comes back.
func TestClusterFieldsAccounted(t *testing.T) {
	t.Parallel()
	roundTrip{
		newMessage: func() proto.Message { return &pb.Cluster{} },
		listed:     keys(ClusterUnconverted),
		convert: func(t *testing.T, in proto.Message) proto.Message {
			c, err := ClusterToStore(in.(*pb.Cluster))
			if err != nil {
				t.Fatalf("ClusterToStore: %v", err)
			}
			return ClusterFromStore(c)
		},
	}.check(t)
}

func TestClusterSecret(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{7}, 32)
	for name, sent := range map[string][]byte{"raw": raw, "base64": []byte(base64.StdEncoding.EncodeToString(raw))} {
		c, err := ClusterToStore(&pb.Cluster{SharedSecret: sent})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.SharedSecret, raw) {
			t.Errorf("%s: secret %x, want the 32 bytes", name, c.SharedSecret)
		}
		if out := ClusterFromStore(c); out.SharedSecret != nil {
			t.Errorf("%s: the secret comes back: %x", name, out.SharedSecret)
		}
	}
	// Not 32 bytes either way: passed on as sent, for the store to refuse
	// with its size.
	if c, _ := ClusterToStore(&pb.Cluster{SharedSecret: []byte("short")}); string(c.SharedSecret) != "short" {
		t.Errorf("a short secret became %q", c.SharedSecret)
	}
	if _, err := ClusterToStore(&pb.Cluster{CertificateAuthority: []byte{}}); err == nil || err.Error() !=
		"cluster.certificate_authority: is empty: leave it out for a cluster without one" {
		t.Errorf("an empty certificate authority: %v", err)
	}
}
