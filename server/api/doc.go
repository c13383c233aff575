// Package api serves the Enterprise Console API, gRPC package
// pomerium.dashboard, over connect-go: one handler answers gRPC, gRPC-Web
// and Connect/JSON. Every call is authenticated, authorized per namespace
// and, when it changes anything, written to the activity log as its caller.
package api
