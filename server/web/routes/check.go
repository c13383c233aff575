package routes

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
)

// maxRouteErrors bounds how many broken routes one preview reports: each
// takes another parse and dry run of the file.
const maxRouteErrors = 20

// checked is a file as the importer sees it: the routes it refuses, each
// with its reason, and the plan for the others.
type checked struct {
	// Errors are the refused routes, with List and Index as in the file.
	Errors []*importer.RouteError
	// Stopped says why some routes were not checked, "" when all were.
	Stopped string
	// File and Plan are the routes the importer accepts and what it would
	// do with them; Plan is nil when the file as a whole is refused.
	File *importer.File
	Plan *importer.Result
	// orig maps, per list, a route's position in the checked file to its
	// position in the file the user gave.
	orig map[string][]int
}

// Source names a route of the checked file by its place in the user's file.
func (c *checked) Source(list string, index int) string {
	return fmt.Sprintf("%s[%d]", list, c.original(list, index))
}

func (c *checked) original(list string, index int) int {
	if m, ok := c.orig[list]; ok && index < len(m) {
		return m[index]
	}
	return index
}

// check plans the import of data into a namespace without writing. The
// importer stops at the first route it refuses; to report every broken
// route, check takes each refused route out of the file and asks again,
// up to maxRouteErrors times. An error is returned only when the file as a
// whole is refused before any route is (or the store fails).
func check(ctx context.Context, st store.Store, ns string, actor store.Actor, data []byte) (*checked, error) {
	c := &checked{orig: map[string][]int{}}
	var doc *yaml.Node
	for {
		f, err := importer.Parse(data)
		var plan *importer.Result
		if err == nil {
			plan, err = importer.ImportFile(ctx, st, f, importer.Options{Namespace: ns, Actor: actor, DryRun: true})
		}
		if err == nil {
			c.File, c.Plan = f, plan
			return c, nil
		}
		var re *importer.RouteError
		if !errors.As(err, &re) {
			if len(c.Errors) == 0 {
				return nil, err
			}
			c.Stopped = "after the routes above were taken out, the importer refused the rest of the file: " + err.Error()
			return c, nil
		}
		if doc == nil {
			if doc, err = c.index(data); err != nil {
				return nil, err
			}
		}
		pos := re.Index
		refused := *re
		refused.Index = c.original(re.List, pos)
		c.Errors = append(c.Errors, &refused)
		if len(c.Errors) == maxRouteErrors {
			c.Stopped = fmt.Sprintf("checking stopped after %d refused routes: fix these and preview again", maxRouteErrors)
			return c, nil
		}
		if data, err = c.without(doc, re.List, pos); err != nil {
			c.Stopped = "the routes after this one could not be checked on their own: " + err.Error()
			return c, nil
		}
	}
}

// index reads the file as YAML and numbers the routes of its lists.
func (c *checked) index(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read the file again: %w", err)
	}
	for _, list := range []string{"routes", "policy"} {
		if seq := routeList(&doc, list); seq != nil {
			c.orig[list] = make([]int, len(seq.Content))
			for i := range c.orig[list] {
				c.orig[list][i] = i
			}
		}
	}
	return &doc, nil
}

// without takes the route at pos of a list out of doc and returns the file
// that remains.
func (c *checked) without(doc *yaml.Node, list string, pos int) ([]byte, error) {
	seq := routeList(doc, list)
	if seq == nil || pos >= len(seq.Content) || pos >= len(c.orig[list]) {
		return nil, fmt.Errorf("%s is not a plain list of routes", list)
	}
	seq.Content = slices.Delete(seq.Content, pos, pos+1)
	c.orig[list] = slices.Delete(c.orig[list], pos, pos+1)
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("write the file without %s[%d]: %w", list, pos, err)
	}
	return data, nil
}

// routeList finds a top-level list of routes written as a YAML sequence
// (not as base64, nor through a merge key).
func routeList(doc *yaml.Node, list string) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != list {
			continue
		}
		v := root.Content[i+1]
		for depth := 0; v.Kind == yaml.AliasNode && depth < 32; depth++ {
			v = v.Alias
		}
		if v.Kind == yaml.SequenceNode {
			return v
		}
	}
	return nil
}
