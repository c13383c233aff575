// Package e2e tests the console binary end to end against the real
// Pomerium: it builds pomerium-console, runs `serve` as a process (with the
// embedded store, and with PostgreSQL) against Pomerium v0.33.0's own
// databroker (dbserver), writes a varied desired state through the
// pomerium.dashboard API, pomerium.config.ConfigService and `import`, waits
// until the console reports every object synced, and asks Pomerium's own
// config builder (configcheck) what Pomerium would serve. It holds tests
// only.
package e2e
