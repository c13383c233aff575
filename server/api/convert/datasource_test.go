package convert

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

func TestDataSourceRoundTrip(t *testing.T) {
	t.Parallel()
	roundTrip{
		newMessage: func() proto.Message { return &pb.ExternalDataSource{} },
		listed:     keys(DataSourceUnconverted),
		fixup: func(m proto.Message, _ int) {
			d := m.(*pb.ExternalDataSource)
			d.PollingMinDelay, d.PollingMaxDelay = durationpb.New(2*time.Second), durationpb.New(time.Hour)
		},
		convert: func(t *testing.T, in proto.Message) proto.Message {
			d, cluster, err := DataSourceToStore(in.(*pb.ExternalDataSource))
			if err != nil {
				t.Fatalf("DataSourceToStore: %v", err)
			}
			return DataSourceFromStore(d, cluster)
		},
	}.check(t)
}

func TestDataSourceDelays(t *testing.T) {
	t.Parallel()
	_, _, err := DataSourceToStore(&pb.ExternalDataSource{PollingMaxDelay: &durationpb.Duration{Seconds: 1, Nanos: -1}})
	if fe, ok := err.(*FieldError); !ok || fe.Field != "external_data_source.polling_max_delay" {
		t.Errorf("an invalid duration: %v", err)
	}
	d, _, err := DataSourceToStore(&pb.ExternalDataSource{})
	if err != nil || d.PollingMinDelay != 0 || d.Headers == nil {
		t.Fatalf("unset: %+v, %v", d, err)
	}
	out := DataSourceFromStore(d, "")
	if out.GetPollingMinDelay().AsDuration() != time.Minute || out.GetPollingMaxDelay().AsDuration() != 10*time.Minute || out.ClusterId != nil {
		t.Errorf("the defaults as they apply: %v", out)
	}
}
