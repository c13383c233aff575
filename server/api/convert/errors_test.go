package convert

import "testing"

func TestFieldErrorWithRoot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ field, root, want string }{
		{"route.redirect.response_code", "routes[2]", "routes[2].redirect.response_code: r"},
		{"route.to[1]", "routes[0]", "routes[0].to[1]: r"},
		{"route", "routes[0]", "routes[0]: r"},
	} {
		if got := (&FieldError{Field: tc.field, Reason: "r"}).WithRoot(tc.root).Error(); got != tc.want {
			t.Errorf("%s under %s: got %q, want %q", tc.field, tc.root, got, tc.want)
		}
	}
}
