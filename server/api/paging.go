package api

import (
	"context"
	"strconv"

	"github.com/pomerium-console/pomerium-console/store"
)

// maxPage bounds one page of a list.
const maxPage = 1000

// page validates offset, limit and order_by of a list request into a store
// query. A missing limit means the largest page.
func page(offset, limit *int64, orderBy *string) (store.ListQuery, error) {
	q := store.ListQuery{Limit: maxPage}
	if offset != nil {
		if *offset < 0 {
			return q, invalid("offset", "must not be negative")
		}
		q.Offset = int(*offset)
	}
	if limit != nil {
		if *limit < 0 || *limit > maxPage {
			return q, invalid("limit", "must be between 0 and %d", maxPage)
		}
		if *limit > 0 {
			q.Limit = int(*limit)
		}
	}
	if orderBy != nil {
		switch o := *orderBy; o {
		case "", "name", "-name", "created_at", "-created_at", "modified_at", "-modified_at", "version", "-version":
			q.OrderBy = o
		default:
			return q, invalid("order_by", "%q is not one of name, created_at, modified_at, version (with - for descending)", o)
		}
	}
	return q, nil
}

// indexed names one element of a repeated request field, e.g. ids[2].
func indexed(field string, i int) string { return field + "[" + itoa(i) + "]" }

func itoa(i int) string { return strconv.Itoa(i) }

// listRequest is what the list calls of the API have in common.
type listRequest interface {
	GetNamespace() string
	GetQuery() string
	GetOffset() int64
	GetLimit() int64
	GetOrderBy() string
	GetClusterId() string
}

// listIn lists the objects of kind k in the namespace of a list request,
// for a caller who may view it.
func listIn[T store.Object](ctx context.Context, s *Server, k store.Kind, m listRequest) (*access, []T, int, error) {
	if err := noCluster(m.GetClusterId()); err != nil {
		return nil, nil, 0, err
	}
	offset, limit, orderBy := m.GetOffset(), m.GetLimit(), m.GetOrderBy()
	q, err := page(&offset, &limit, &orderBy)
	if err != nil {
		return nil, nil, 0, err
	}
	if !store.ValidID(m.GetNamespace()) {
		return nil, nil, 0, invalid("namespace", "must be the id of a namespace")
	}
	q.NamespaceID, q.Query = m.GetNamespace(), m.GetQuery()
	a, err := s.access(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := a.require(q.NamespaceID, store.RoleViewer); err != nil {
		return nil, nil, 0, err
	}
	got, err := s.store.List(ctx, k, q)
	if err != nil {
		return nil, nil, 0, s.fail(ctx, err)
	}
	list := make([]T, 0, len(got.Objects))
	for _, o := range got.Objects {
		if t, ok := o.(T); ok {
			list = append(list, t)
		}
	}
	return a, list, got.TotalCount, nil
}
