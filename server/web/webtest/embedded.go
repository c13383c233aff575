package webtest

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// Embedded opens a store of the embedded backend in a temporary directory,
// closed by the test's cleanup: for screens whose behaviour does not depend
// on the backend, which then need no PostgreSQL.
func Embedded(t testing.TB) store.Store {
	t.Helper()
	return storetest.Embedded(t, make([]byte, 32))
}
