package devicepb_test

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/api/internal/wirespec"
)

// Pomerium writes these records and reads back what the console writes
// (a sign-out, an approval): the table in testdata, read from Pomerium's
// compiled descriptors, is the contract the .proto is written to match.
func TestWireContract(t *testing.T) {
	t.Parallel()
	wirespec.Test(t, wirespec.Contract{
		Tables:  []string{"testdata/pomerium-records-wire.tsv"},
		Package: devicepb.File_pomerium_device_device_proto.Package(),
		// Records are Pomerium's own messages: no field of ours may ride
		// along in them.
		OwnFieldsFrom: 0,
	})
}
