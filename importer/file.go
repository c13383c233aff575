package importer

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// The top-level keys that hold routes: routes, and policy, the name Pomerium
// used for the same list before v0.16.
const (
	listRoutes = "routes"
	listPolicy = "policy"
)

var routeLists = map[string]bool{listRoutes: true, listPolicy: true}

// File is a parsed Pomerium configuration file.
type File struct {
	// Routes are the routes of the routes list, then those of the policy
	// list, in file order, except the refused ones. A file from Scan
	// leaves them out: ImportFile reads them again.
	Routes []*RouteSpec
	// NumRoutes counts them.
	NumRoutes int
	// Refused are the routes Parse refuses, in file order, each with why:
	// those it cannot read and those Pomerium would refuse. Import writes
	// nothing from a file with any.
	Refused []*RouteError
	// KeyPairs are the certificates the routes carry inline, one per
	// certificate, in order of first use; refused routes bring none.
	KeyPairs []*KeyPairSpec
	// IgnoredKeys are the top-level keys that are Pomerium settings rather
	// than routes, in file order.
	IgnoredKeys []string

	// A file from Scan is read again, route by route, from reader; names
	// are the names of its routes, in order, and keyPairs its key pairs.
	reader   *fileReader
	names    []string
	keyPairs *keyPairSet
}

// RouteSpec is one route of the file, ready to be written.
type RouteSpec struct {
	// List is the top-level key the route came from (routes or policy) and
	// Index its position there.
	List  string
	Index int
	// Name is the route's name, or one derived from from, prefix, path and
	// regex, unique within the file.
	Name string
	// Spec holds every route setting except policy_ids and the key pair
	// references, which Import fills in.
	Spec *configpb.Route
	// PPL is the route's access policy, or "" when the route says nothing
	// about access.
	PPL string
	// CustomCA, ClientCertificate and DownstreamClientCA are the key pairs
	// for tls_custom_ca, tls_client_cert/key and tls_downstream_client_ca.
	CustomCA, ClientCertificate, DownstreamClientCA *KeyPairSpec
}

// Source names the route in the file, e.g. "routes[3]".
func (r *RouteSpec) Source() string { return fmt.Sprintf("%s[%d]", r.List, r.Index) }

// PolicyName is the name of the policy that holds the route's access rules.
func (r *RouteSpec) PolicyName() string { return r.Name + " access" }

// Parse reads a Pomerium config.yaml and returns its routes. It checks
// everything that needs only the file, including every check compilation
// makes of a route on its own (compile.CheckRoute); Import checks the rest
// against the store. A refused route goes to File.Refused and the routes
// after it are still read, so that one pass reports every one. The error,
// a *FileError, is for a file that as a whole is not a list of routes.
func Parse(data []byte) (*File, error) {
	return scan(Bytes(data), true, nil)
}

// Scan reads a configuration file as Parse does, without keeping its
// routes: ImportFile reads them again, one at a time, so that a file of any
// size is imported in little memory. What Scan keeps is the name of every
// route, the key pairs and the refusals. progress, when set, is told how
// many bytes of the file have been read.
//
// A file whose routes are a block list under a top-level key (the usual
// layout) is read one route at a time; any other is read whole, as Parse
// reads it.
func Scan(src Source, progress func(read int64)) (*File, error) {
	return scan(src, false, progress)
}

func scan(src Source, keep bool, progress func(int64)) (*File, error) {
	r := &fileReader{src: src, progress: progress}
	f, err := r.scan(keep)
	if errors.Is(err, errReadWhole) {
		r.whole = true
		f, err = r.scan(keep)
	}
	if err != nil {
		return nil, err
	}
	r.progress = nil
	return f, nil
}

// scan reads every route of the file, checks it, and names it.
func (r *fileReader) scan(keep bool) (*File, error) {
	f := &File{}
	keyPairs := &keyPairSet{}
	var seeds []nameSeed
	top, err := r.read(func(list string, i int, item *yaml.Node) error {
		spec, named, err := parseRoute(list, i, item, keyPairs, false)
		if err != nil {
			f.Refused = append(f.Refused, err)
			return nil
		}
		seed := nameSeed{base: spec.Name, explicit: named}
		if !named {
			seed.base = derivedName(spec.Spec)
		}
		seeds = append(seeds, seed)
		if keep {
			f.Routes = append(f.Routes, spec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	names := assignNames(seeds)
	if keep {
		for i, spec := range f.Routes {
			spec.Name = names[i]
		}
	} else {
		f.reader, f.names, f.keyPairs = r, names, keyPairs
	}
	f.NumRoutes, f.KeyPairs, f.IgnoredKeys = len(names), keyPairs.list, top.ignored
	return f, nil
}

// eachRoute hands the routes of the file to fn, in file order.
func (f *File) eachRoute(fn func(*RouteSpec) error) error {
	if f.reader == nil {
		for _, r := range f.Routes {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	n, refused := 0, f.Refused
	_, err := f.reader.read(func(list string, i int, item *yaml.Node) error {
		if len(refused) > 0 && refused[0].List == list && refused[0].Index == i {
			refused = refused[1:]
			return nil
		}
		// Scan checked the route, and the file is the one it read.
		spec, _, err := parseRoute(list, i, item, f.keyPairs, true)
		if err != nil || n == len(f.names) {
			return errChanged
		}
		spec.Name = f.names[n]
		n++
		return fn(spec)
	})
	if err == nil && n != len(f.names) {
		err = errChanged
	}
	return err
}

var errChanged = &FileError{Err: errors.New("changed while it was being imported: import it again")}

// topLevel is what the top level of a file holds: the route lists, the
// routes list first, and the other keys.
type topLevel struct {
	lists   []entry
	ignored []string
}

// topLevelOf reads the top level of a parsed file.
func topLevelOf(doc *yaml.Node) (*topLevel, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &FileError{Err: errors.New("is empty")}
	}
	root := resolve(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, &FileError{Err: fmt.Errorf("must be a Pomerium configuration (an object with a routes list), got %s", describeNode(root))}
	}
	entries, err := mappingEntries(root)
	if pe, ok := err.(*pathError); ok {
		return nil, &FileError{Key: pe.path, Err: pe.err}
	} else if err != nil {
		return nil, &FileError{Err: fmt.Errorf("has a top level Pomerium cannot read: %w", err)}
	}
	top := &topLevel{}
	for _, e := range entries {
		if routeLists[e.key] {
			top.lists = append(top.lists, e)
		} else {
			top.ignored = append(top.ignored, e.key)
		}
	}
	if len(top.lists) == 0 {
		return nil, &FileError{Err: errors.New("has no routes: Pomerium lists them under the top-level key routes (policy in older releases)")}
	}
	// routes before policy, whatever their order in the file, so that the
	// names derived for repeated routes do not depend on key order.
	if len(top.lists) == 2 && top.lists[0].key == listPolicy {
		top.lists[0], top.lists[1] = top.lists[1], top.lists[0]
	}
	return top, nil
}
