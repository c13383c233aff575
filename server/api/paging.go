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

// listQuery reads the caller and the query of a list request. A cluster
// id narrows the list to that cluster, whose the namespace listed must be.
func (s *Server) listQuery(ctx context.Context, m listRequest) (*manage.Caller, manage.ListQuery, error) {
	q := manage.ListQuery{
		Namespace: m.GetNamespace(), Query: m.GetQuery(), OrderBy: m.GetOrderBy(),
		Offset: int(m.GetOffset()), Limit: int(m.GetLimit()), Cluster: m.GetClusterId(),
	}
	c, err := s.caller(ctx)
	return c, q, err
}

// inCluster checks the cluster id a request names (absent: the default
// cluster) against the caller, and that the namespace the request names,
// if any (field nsField), belongs to it: a cluster the caller may not see
// is not found.
func (s *Server) inCluster(ctx context.Context, id, nsField, namespace string) error {
	if id == "" {
		return nil
	}
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if _, err := c.ClusterWith("cluster_id", id, nsField, namespace); err != nil {
		return s.fail(ctx, err, at{})
	}
	return nil
}
