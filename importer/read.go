package importer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"go.yaml.in/yaml/v3"
)

// Source is a configuration file that an import may read more than once:
// Scan reads it once, and ImportFile again for each pass (a dry run, the
// write).
type Source struct {
	// Open opens the file from its start.
	Open func() (io.ReadCloser, error)
	// Size is its length in bytes, or -1 when unknown; it only measures
	// progress.
	Size int64
}

// Bytes is a Source of a file already in memory.
func Bytes(data []byte) Source {
	return Source{
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		Size: int64(len(data)),
	}
}

// maxPreludeForAliases bounds the text parsed again with each route that
// uses an anchor of the file's settings: past it, such a file is read whole.
const maxPreludeForAliases = 1 << 20

// fileReader reads the routes of a file one item at a time: cut out by the
// splitter, or from the document parsed whole when the splitter cannot cut
// it.
type fileReader struct {
	src   Source
	whole bool
	// progress, when set, is told how many bytes have been read.
	progress func(read int64)
	// digest is the SHA-256 of the file as the first read saw it: a later
	// read that sees other bytes fails, so that an import writes the file
	// it planned.
	digest []byte
}

// itemFunc is handed one route of the file: its list, its index there and
// its YAML.
type itemFunc func(list string, index int, item *yaml.Node) error

// read hands every route of the file to fn, those of the routes list first,
// and returns the top-level keys. An error from fn stops it; a *FileError
// is about the file as a whole; errReadWhole says the splitter could not
// cut the file, possibly after fn saw some of its routes.
func (r *fileReader) read(fn itemFunc) (*topLevel, error) {
	if r.whole {
		return r.readWhole(fn)
	}
	return r.readCut(fn)
}

func (r *fileReader) readWhole(fn itemFunc) (*topLevel, error) {
	var data []byte
	err := r.open(func(in io.Reader) error {
		var err error
		data, err = io.ReadAll(in)
		return err
	})
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FileError{Err: fmt.Errorf("is not valid YAML: %w", err)}
	}
	data = nil
	top, err := topLevelOf(&doc)
	if err != nil {
		return nil, err
	}
	for _, l := range top.lists {
		items, err := routeItems(l.value)
		if err != nil {
			return nil, &FileError{Key: l.key, Err: err}
		}
		for i, item := range items {
			if err := fn(l.key, i, item); err != nil {
				return nil, err
			}
		}
	}
	return top, nil
}

// readCut reads the routes list while the splitter cuts it, then the rest
// of the file from the prelude, and the policy list, if the file has one
// to cut, in a second read.
func (r *fileReader) readCut(fn itemFunc) (*topLevel, error) {
	pre, err := r.split(listRoutes, fn)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(pre.text, &doc); err != nil {
		// The whole file says where the error is.
		return nil, errReadWhole
	}
	if !cutsAreKeys(&doc, pre.cut) {
		return nil, errReadWhole
	}
	top, err := topLevelOf(&doc)
	if err != nil {
		return nil, errReadWhole
	}
	for _, l := range top.lists {
		if cut(pre, l.key) {
			if l.key == listPolicy {
				if _, err := r.split(listPolicy, fn); err != nil {
					return nil, err
				}
			}
			continue
		}
		items, err := routeItems(l.value)
		if err != nil {
			return nil, errReadWhole
		}
		for i, item := range items {
			if err := fn(l.key, i, item); err != nil {
				return nil, err
			}
		}
	}
	return top, nil
}

// split reads the file once with the splitter, handing the items of list
// to fn.
func (r *fileReader) split(list string, fn itemFunc) (*prelude, error) {
	var pre *prelude
	err := r.open(func(in io.Reader) error {
		var err error
		pre, err = splitFile(in, list, func(index int, text, preludeSoFar []byte) error {
			item, err := parseItem(text, preludeSoFar)
			if err != nil {
				return err
			}
			return fn(list, index, item)
		})
		return err
	})
	return pre, err
}

// open reads the file through fn, measuring progress and checking that it
// is the file every earlier read saw.
func (r *fileReader) open(fn func(io.Reader) error) error {
	f, err := r.src.Open()
	if err != nil {
		return err
	}
	// The file is only read: closing it loses nothing.
	defer func() { _ = f.Close() }()
	in := &countingReader{r: f, h: sha256.New(), progress: r.progress}
	if err := fn(in); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
		return err
	}
	sum := in.h.Sum(nil)
	switch {
	case r.digest == nil:
		r.digest = sum
	case !bytes.Equal(r.digest, sum):
		return &FileError{Err: errors.New("changed while it was being imported: import it again")}
	}
	return nil
}

// countingReader hashes what it reads and reports how much.
type countingReader struct {
	r        io.Reader
	h        hash.Hash
	read     int64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.read += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.read)
	}
	return n, err
}

// parseItem parses the text of one list item cut out of the file, alone or,
// when it uses an anchor, after the prelude read so far, which defines the
// anchors it may use. An item that defines an anchor, which a later item
// could use, makes the file one to read whole.
func parseItem(text, preludeSoFar []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err == nil {
		return onlyItem(&doc, false)
	}
	if len(preludeSoFar) > maxPreludeForAliases || !bytes.Contains(preludeSoFar, []byte("&")) {
		return nil, errReadWhole
	}
	withPrelude := make([]byte, 0, len(preludeSoFar)+len(text))
	withPrelude = append(append(withPrelude, preludeSoFar...), text...)
	doc = yaml.Node{}
	if err := yaml.Unmarshal(withPrelude, &doc); err != nil {
		return nil, errReadWhole
	}
	return onlyItem(&doc, true)
}

// onlyItem returns the one item of a parsed cut: the document's list, or
// with the prelude the list of its last key.
func onlyItem(doc *yaml.Node, withPrelude bool) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errReadWhole
	}
	list := doc.Content[0]
	if withPrelude {
		if list.Kind != yaml.MappingNode || len(list.Content) < 2 {
			return nil, errReadWhole
		}
		list = list.Content[len(list.Content)-1]
	}
	if list.Kind != yaml.SequenceNode || len(list.Content) != 1 || definesAnchor(list.Content[0]) {
		return nil, errReadWhole
	}
	return list.Content[0], nil
}

func definesAnchor(n *yaml.Node) bool {
	if n.Anchor != "" {
		return true
	}
	if n.Kind == yaml.AliasNode {
		return false
	}
	for _, c := range n.Content {
		if definesAnchor(c) {
			return true
		}
	}
	return false
}

// cutsAreKeys checks that every list the splitter cut is where it thought:
// a top-level key of the prelude, at the line it noted, now without a
// value. A "routes:" line inside a multi-line string is not.
func cutsAreKeys(doc *yaml.Node, cuts []cutList) bool {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return len(cuts) == 0
	}
	root := doc.Content[0].Content
	for _, c := range cuts {
		found := false
		for i := 0; i+1 < len(root); i += 2 {
			k, v := root[i], root[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == c.key && k.Line == c.line && k.Column == 1 && isNull(v) && v.Kind == yaml.ScalarNode {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func cut(pre *prelude, list string) bool {
	for _, c := range pre.cut {
		if c.key == list {
			return true
		}
	}
	return false
}
