// Package importer loads the routes of an open-source Pomerium config.yaml
// into a namespace of the console's store. It backs the
// `pomerium-console import` command and the API's RouteService.LoadRoutes.
//
// [Parse] reads the top-level routes list (or the older policy list) and
// turns every route into a configpb.Route, a PPL document for its access
// settings and the key pairs its inline TLS material needs. Every key of a
// route is either mapped or refused with an error that names the route and the
// key: nothing in the file is silently dropped. A route compilation would
// refuse (compile.CheckRoute) is refused here, before it is written. Top-level
// keys that are Pomerium settings rather than routes are ignored and reported.
//
// [Import] plans the writes against what the namespace already holds and makes
// them in one store transaction, so a file is imported completely or not at
// all. A file with refused routes is refused with every one of them named at
// once ([RouteErrors]); a dry run also plans the others. An object's identity
// across imports is its name in the namespace: a second import of the same
// file writes nothing, and objects the file does not name are never touched.
//
// [Scan] reads a file without keeping its routes, and [ImportFile] then reads
// it again, a batch of routes at a time, planning and writing as it goes
// (store.Desired.ApplyStream) and handing each change to its caller rather
// than keeping it: a million routes are imported in about the memory of a
// thousand. The usual layout (a block list under routes:) is cut into routes
// line by line; any other file is read whole, with the same result.
//
// The package must not write anything but through the store, must not talk
// to the databroker and must not read files itself: callers hand it bytes.
package importer
