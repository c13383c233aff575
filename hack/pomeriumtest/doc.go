// Package pomeriumtest runs Pomerium v0.33.0's own databroker server
// (dbserver) and its own databroker-backed config builder (configcheck) for
// tests, so that what the console writes is checked against the real
// Pomerium and not only against the console's embedded databroker, which
// imitates it.
//
// The two programs are built from Pomerium's source and kept outside the
// repository, in ../shared/pomerium-v0.33.0/ beside the module root (CI puts
// them there), or in the directory POMERIUM_CONSOLE_POMERIUM_DIR names.
// When they are missing the package under test fails, saying where they
// were looked for: CI must never pass by running none of these tests.
//
// One databroker per test package is the intended use:
//
//	var pomerium *pomeriumtest.Databroker
//
//	func TestMain(m *testing.M) { os.Exit(pomeriumtest.Main(m, &pomerium)) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		pomerium.Exclusive(t) // empty, under a new server version, for t alone
//		...
//	}
//
// The console marks every record it owns with one originator id and deletes
// the records with that id it no longer wants, so two consoles writing to one
// databroker would undo each other's work: tests take the databroker for
// themselves with [Databroker.Exclusive] and run one after the other on it.
//
// This package must not be imported by production code. It stops only the
// processes it started, by their process ids.
package pomeriumtest
