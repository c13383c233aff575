// Package pgtest runs throwaway PostgreSQL servers for tests, so that code
// which talks to Postgres is tested against the real thing rather than a fake.
//
// A server is started from the binaries of Debian's postgresql package
// (hack/install-postgres.sh installs them), on a random loopback port, in a
// temporary data directory cloned from a cached initdb template. It trades
// durability for speed unless [Options.Fsync] asks otherwise: fsync is off
// and the directory is on /dev/shm when that tmpfs has room.
//
// Setting POMERIUM_CONSOLE_TEST_DATABASE_URL points every test at an existing
// server instead; Stop then leaves it running and Restart is unavailable.
//
// One server per test package is the intended use: the machines that run the
// tests have two cores, and each test gets isolation from its own database.
//
//	var srv *pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		url := srv.NewTestDatabase(t)
//		...
//	}
//
// Missing binaries fail the package rather than skip it, so a CI machine
// without Postgres cannot pass by running nothing; POMERIUM_CONSOLE_SKIP_POSTGRES=1
// opts out explicitly.
//
// This package must not be imported by production code, and it never touches
// a server it did not start beyond the databases it creates and the backends it
// is asked to terminate.
package pgtest
