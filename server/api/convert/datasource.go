package convert

import (
	"maps"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// DataSourceUnconverted are the fields of pomerium.dashboard.ExternalDataSource
// not taken from input, with the reason.
var DataSourceUnconverted = map[string]string{
	"created_at":    "the store keeps when the data source was added",
	"modified_at":   "the store keeps when the data source last changed",
	"deleted_at":    "a deleted data source is not shown",
	"originator_id": "the surface that last wrote the data source, kept by the store",
}

// DataSourceToStore converts a data source of the API and returns it with
// the cluster it names (empty: none). Its headers replace the stored ones.
func DataSourceToStore(d *pb.ExternalDataSource) (*store.DataSource, string, error) {
	if d.ClientTlsKeyId != nil && *d.ClientTlsKeyId == "" {
		return nil, "", fieldErrorf("external_data_source.client_tls_key_id", "is empty: leave it out for no client certificate")
	}
	minDelay, err := delay("external_data_source.polling_min_delay", d.GetPollingMinDelay())
	if err != nil {
		return nil, "", err
	}
	maxDelay, err := delay("external_data_source.polling_max_delay", d.GetPollingMaxDelay())
	if err != nil {
		return nil, "", err
	}
	headers := maps.Clone(d.GetHeaders())
	if headers == nil {
		headers = map[string]string{}
	}
	return &store.DataSource{
		ObjectMeta: store.ObjectMeta{ID: d.GetId()},
		URL:        d.GetUrl(), RecordType: d.GetRecordType(), ForeignKey: d.GetForeignKey(), Headers: headers,
		AllowInsecureTLS: clonePtr(d.AllowInsecureTls), ClientTLSKeyID: d.GetClientTlsKeyId(),
		PollingMinDelay: minDelay, PollingMaxDelay: maxDelay,
	}, d.GetClusterId(), nil
}

// delay is a polling delay of the API; unset is zero, the default.
func delay(field string, d *durationpb.Duration) (time.Duration, error) {
	if d == nil {
		return 0, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, fieldErrorf(field, "%v", err)
	}
	return d.AsDuration(), nil
}

// DataSourceFromStore converts a data source for the API, with its
// headers and its polling delays as they apply (defaults filled in).
func DataSourceFromStore(d *store.DataSource, clusterID string) *pb.ExternalDataSource {
	minDelay, maxDelay := d.Delays()
	out := &pb.ExternalDataSource{
		Id: d.ID, OriginatorId: string(d.Origin), ClusterId: optional(clusterID),
		CreatedAt: Timestamp(d.CreatedAt), ModifiedAt: Timestamp(d.ModifiedAt),
		Url: d.URL, RecordType: d.RecordType, ForeignKey: d.ForeignKey, Headers: maps.Clone(d.Headers),
		AllowInsecureTls: clonePtr(d.AllowInsecureTLS), ClientTlsKeyId: optional(d.ClientTLSKeyID),
		PollingMinDelay: durationpb.New(minDelay), PollingMaxDelay: durationpb.New(maxDelay),
	}
	return out
}
