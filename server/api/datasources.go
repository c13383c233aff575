package api

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// dataSources implements ExternalDataSourceService over the use cases of
// data sources.
type dataSources struct{ *Server }

// dataSourceAt names the fields of a data source written as the request
// does.
var dataSourceAt = at{root: "external_data_source"}

func (s *dataSources) SetExternalDataSource(ctx context.Context, req *connect.Request[pb.SetExternalDataSourceRequest]) (*connect.Response[pb.SetExternalDataSourceResponse], error) {
	msg := req.Msg.GetExternalDataSource()
	if msg == nil {
		return nil, invalid("external_data_source", "is required")
	}
	d, cluster, err := convert.DataSourceToStore(msg)
	if err != nil {
		return nil, s.fail(ctx, err, dataSourceAt)
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.app.SetDataSource(ctx, c, manage.DataSourceInput{DataSource: d, ClusterID: cluster})
	if err != nil {
		return nil, s.fail(ctx, err, dataSourceAt)
	}
	return connect.NewResponse(&pb.SetExternalDataSourceResponse{ExternalDataSource: dataSourceOut(out)}), nil
}

func (s *dataSources) GetExternalDataSource(ctx context.Context, req *connect.Request[pb.GetExternalDataSourceRequest]) (*connect.Response[pb.GetExternalDataSourceResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.app.GetDataSource(ctx, c, req.Msg.GetId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.GetExternalDataSourceResponse{ExternalDataSource: dataSourceOut(out)}), nil
}

func (s *dataSources) ListExternalDataSources(ctx context.Context, req *connect.Request[pb.ListExternalDataSourcesRequest]) (*connect.Response[pb.ListExternalDataSourcesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.app.ListDataSources(ctx, c, req.Msg.GetClusterId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListExternalDataSourcesResponse{ExternalDataSources: make([]*pb.ExternalDataSource, 0, len(list))}
	for _, d := range list {
		out.ExternalDataSources = append(out.ExternalDataSources, dataSourceOut(d))
	}
	return connect.NewResponse(out), nil
}

func (s *dataSources) DeleteExternalDataSource(ctx context.Context, req *connect.Request[pb.DeleteExternalDataSourceRequest]) (*connect.Response[emptypb.Empty], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.app.DeleteDataSource(ctx, c, req.Msg.GetId()); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

func (s *dataSources) ListExternalDataSourceRecordTypes(ctx context.Context, req *connect.Request[pb.ListExternalDataSourceRecordTypesRequest]) (*connect.Response[pb.ListExternalDataSourceRecordTypesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	types, err := s.app.DataSourceRecordTypes(ctx, c, req.Msg.GetClusterId())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.ListExternalDataSourceRecordTypesResponse{RecordTypes: types}), nil
}

func (s *dataSources) ListExternalDataSourceRecordFields(ctx context.Context, req *connect.Request[pb.ListExternalDataSourceRecordFieldsRequest]) (*connect.Response[pb.ListExternalDataSourceRecordFieldsResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	fields, err := s.app.DataSourceRecordFields(ctx, c, req.Msg.GetClusterId(), req.Msg.GetRecordType())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&pb.ListExternalDataSourceRecordFieldsResponse{RecordFields: fields}), nil
}

// dataSourceOut is a data source as the API answers it.
func dataSourceOut(d *manage.DataSource) *pb.ExternalDataSource {
	return convert.DataSourceFromStore(d.DataSource, d.ClusterID)
}
