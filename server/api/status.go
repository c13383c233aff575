package api

import (
	"context"

	"github.com/pomerium-console/pomerium-console/store"
)

// statuses reads the sync status of objects of one kind, by id.
func (s *Server) statuses(ctx context.Context, k store.Kind, ids ...string) (map[string]store.ObjectStatus, error) {
	if len(ids) == 0 {
		return map[string]store.ObjectStatus{}, nil
	}
	got, err := s.store.Status(ctx, k, ids...)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return got, nil
}

// statusOf returns the status of one object, nil when there is none yet.
func statusOf(all map[string]store.ObjectStatus, id string) *store.ObjectStatus {
	if st, ok := all[id]; ok {
		return &st
	}
	return nil
}
