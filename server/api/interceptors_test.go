package api

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"github.com/go-logr/logr/testr"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestPanicBecomesInternal(t *testing.T) {
	t.Parallel()
	s := New(Options{Logger: testr.New(t)})
	handler := s.recoverInterceptor()(func(context.Context, connect.AnyRequest) (connect.AnyResponse, error) {
		panic("a bug in a handler")
	})
	_, err := handler(t.Context(), connect.NewRequest(&emptypb.Empty{}))
	if connect.CodeOf(err) != connect.CodeInternal {
		t.Fatalf("panic gave %v, want Internal", err)
	}
	if msg := err.Error(); msg != "internal: internal error; the console logged the details" {
		t.Errorf("the caller was told %q", msg)
	}
}
