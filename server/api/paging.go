package api

import (
	"context"
	"strconv"

	"github.com/pomerium-console/pomerium-console/manage"
)

// indexed names one element of a repeated request field, e.g. ids[2].
func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// listRequest is what the list calls of the API have in common.
type listRequest interface {
	GetNamespace() string
	GetQuery() string
	GetOffset() int64
	GetLimit() int64
	GetOrderBy() string
	GetClusterId() string
}

// listQuery reads the caller and the query of a list request.
func (s *Server) listQuery(ctx context.Context, m listRequest) (*manage.Caller, manage.ListQuery, error) {
	if err := noCluster(m.GetClusterId()); err != nil {
		return nil, manage.ListQuery{}, err
	}
	q := manage.ListQuery{
		Namespace: m.GetNamespace(), Query: m.GetQuery(), OrderBy: m.GetOrderBy(),
		Offset: int(m.GetOffset()), Limit: int(m.GetLimit()),
	}
	c, err := s.caller(ctx)
	return c, q, err
}

// noCluster refuses a cluster id: clusters are not supported.
func noCluster(id string) error {
	if id != "" {
		return invalid("cluster_id", "clusters are not supported by pomerium-console")
	}
	return nil
}
