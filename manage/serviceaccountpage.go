package manage

import (
	"context"

	"github.com/pomerium-console/pomerium-console/store"
)

// ServiceAccountPage reads a page of the service accounts that q selects
// and the caller may view, each with when it last used a token.
func (a *App) ServiceAccountPage(ctx context.Context, c *Caller, q ListQuery) (*Page[*ServiceAccount], error) {
	page, err := list[*store.ServiceAccount](ctx, a, c, store.KindServiceAccount, q)
	if err != nil {
		return nil, err
	}
	views, err := a.serviceAccountViews(ctx, page.Items...)
	if err != nil {
		return nil, err
	}
	return &Page[*ServiceAccount]{Items: views, Total: page.Total, More: page.More}, nil
}
