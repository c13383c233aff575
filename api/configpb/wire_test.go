package configpb_test

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/internal/wirespec"
)

// Pomerium decodes our databroker records with its own descriptors, so a
// wrong name, number, type or presence in config.proto corrupts records
// silently instead of failing anywhere. The table in testdata, read from
// Pomerium's compiled descriptors, is the single source of truth for the
// contract; config.proto is written to match it, never the other way round.
func TestWireContract(t *testing.T) {
	t.Parallel()
	wirespec.Test(t, wirespec.Contract{
		Tables: []string{
			"testdata/pomerium-config-wire.tsv",
			"testdata/pomerium-configservice-wire.tsv",
		},
		Package: configpb.File_pomerium_config_config_proto.Package(),
		// Records are Pomerium's own messages: no field of ours may ride
		// along in them.
		OwnFieldsFrom: 0,
	})
}
