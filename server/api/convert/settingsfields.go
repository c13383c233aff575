package convert

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// certificatesToStore splits the certificates of the API into inline ones
// and references to key pairs, which Pomerium's records keep apart.
func certificatesToStore(certs []*pb.Settings_Certificate) ([]*configpb.Settings_Certificate, []string, error) {
	var inline []*configpb.Settings_Certificate
	var ids []string
	for i, c := range certs {
		switch inlined := len(c.CertBytes)+len(c.KeyBytes) > 0; {
		case inlined && c.KeyPairId != "":
			return nil, nil, fieldErrorf(fmt.Sprintf("settings.certificates[%d]", i),
				"set either key_pair_id or cert_bytes and key_bytes, not both")
		case c.KeyPairId != "":
			ids = append(ids, c.KeyPairId)
		default:
			inline = append(inline, &configpb.Settings_Certificate{CertBytes: bytes.Clone(c.CertBytes), KeyBytes: bytes.Clone(c.KeyBytes)})
		}
	}
	return inline, ids, nil
}

// certificatesFromStore lists the inline certificates first, then the
// references to key pairs.
func certificatesFromStore(inline []*configpb.Settings_Certificate, ids []string) []*pb.Settings_Certificate {
	var out []*pb.Settings_Certificate
	for _, c := range inline {
		out = append(out, &pb.Settings_Certificate{CertBytes: bytes.Clone(c.CertBytes), KeyBytes: bytes.Clone(c.KeyBytes)})
	}
	for _, id := range ids {
		out = append(out, &pb.Settings_Certificate{KeyPairId: id})
	}
	return out
}

// urlsToStore reads the one service URL of the API as the list Pomerium's
// records hold. Several URLs are written comma-separated (as urlsFromStore
// shows them), so that reading and writing back keeps them all.
func urlsToStore(s *string) []string {
	if s == nil || *s == "" {
		return nil
	}
	return strings.Split(*s, ",")
}

func urlsFromStore(urls []string) *string {
	return optional(strings.Join(urls, ","))
}

// directoryToStore and directoryFromStore convert directory sync, which the
// API names identity_provider and Pomerium's records directory_provider.
func directoryToStore(dst *configpb.Settings, s *pb.Settings) {
	dst.DirectoryProvider = clonePtr(s.IdentityProvider)
	dst.DirectoryProviderOptions = proto.CloneOf(s.IdentityProviderOptions)
	dst.DirectoryProviderRefreshInterval = proto.CloneOf(s.IdentityProviderRefreshInterval)
	dst.DirectoryProviderRefreshTimeout = proto.CloneOf(s.IdentityProviderRefreshTimeout)
}

func directoryFromStore(dst *pb.Settings, s *configpb.Settings) {
	dst.IdentityProvider = clonePtr(s.DirectoryProvider)
	dst.IdentityProviderOptions = proto.CloneOf(s.DirectoryProviderOptions)
	dst.IdentityProviderRefreshInterval = proto.CloneOf(s.DirectoryProviderRefreshInterval)
	dst.IdentityProviderRefreshTimeout = proto.CloneOf(s.DirectoryProviderRefreshTimeout)
}

func stringListToStore(l *pb.Settings_StringList) []string {
	return slices.Clone(l.GetValues())
}

func stringListFromStore(values []string) *pb.Settings_StringList {
	if len(values) == 0 {
		return nil
	}
	return &pb.Settings_StringList{Values: slices.Clone(values)}
}

// codecTypeToStore converts the codec type by name: the API's enum starts
// with CODEC_TYPE_UNKNOWN, which leaves the setting unset, where the
// records' starts with CODEC_TYPE_AUTO.
func codecTypeToStore(v *pb.CodecType) (*configpb.CodecType, error) {
	if v == nil || *v == pb.CodecType_CODEC_TYPE_UNKNOWN {
		return nil, nil
	}
	n, ok := configpb.CodecType_value[v.String()]
	if !ok {
		return nil, fieldErrorf("settings.codec_type", "value %d is not a known CodecType", *v)
	}
	return new(configpb.CodecType(n)), nil
}

func codecTypeFromStore(v *configpb.CodecType) *pb.CodecType {
	if v == nil {
		return nil
	}
	n, ok := pb.CodecType_value[v.String()]
	if !ok {
		// A number the records' enum does not define: the API has no name
		// for it either.
		return new(pb.CodecType_CODEC_TYPE_UNKNOWN)
	}
	return new(pb.CodecType(n))
}
