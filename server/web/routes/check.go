package routes

import (
	"context"
	"errors"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
)

// checked is a file as the importer sees it: the routes it refuses, each
// with its reason, and the plan for the others.
type checked struct {
	// Errors are the refused routes, in file order.
	Errors []*importer.RouteError
	// Stopped says why the routes that are not refused were not planned,
	// "" when they were.
	Stopped string
	// File and Plan are the parsed file and what the import would do with
	// the routes it does not refuse; both are nil when Stopped is set.
	File *importer.File
	Plan *importer.Result
}

// check plans the import of data into a namespace without writing: one
// parse and one dry run refuse every broken route and plan the others. An
// error is returned when the file as a whole is refused before any route
// is (or the store fails).
func check(ctx context.Context, st store.Store, ns string, actor store.Actor, data []byte) (*checked, error) {
	f, err := importer.Parse(data)
	if err != nil {
		return nil, err
	}
	plan, err := importer.ImportFile(ctx, st, f, importer.Options{Namespace: ns, Actor: actor, DryRun: true})
	var refused *importer.RouteErrors
	if err == nil || errors.As(err, &refused) {
		return &checked{Errors: plan.Refused, File: f, Plan: plan}, nil
	}
	if _, ok := refusal(err); ok && len(f.Refused) > 0 {
		// The routes the file itself refuses are worth showing although
		// the plan of the others was refused as a whole.
		return &checked{Errors: f.Refused, Stopped: "the routes that could be read were not planned: " + err.Error()}, nil
	}
	return nil, err
}
