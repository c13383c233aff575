package dashboardpb_test

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/internal/wirespec"
)

// The official clients are compiled from the upstream descriptors, so a
// wrong name, number, type, presence or rpc signature in our .proto files
// breaks them without any error on our side. The table in testdata, read
// from the compiled descriptors of the official Go client, is the single
// source of truth for the contract; the supplement adds only the values of
// enums that the table names without listing them.
func TestWireContract(t *testing.T) {
	t.Parallel()
	wirespec.Test(t, wirespec.Contract{
		Tables: []string{
			"testdata/pomerium-dashboard-wire.tsv",
			"testdata/pomerium-dashboard-enums-found.tsv",
		},
		Package: dashboardpb.File_pomerium_dashboard_routes_proto.Package(),
		// Numbers below 1000 are left to upstream, which may take any of
		// them next; fields of ours from 1000 up reach the official clients
		// as unknown fields, which they skip and keep.
		OwnFieldsFrom: 1000,
	})
}
