package importer

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// A configuration file of a million routes is 150 MB of YAML, and its node
// tree several GB: too much to hold whole. The routes of the usual layout,
// a block list under a top-level key,
//
//	routes:
//	  - from: https://a.example.com
//	    to: http://a
//
// can be cut apart line by line, each item parsed on its own. The splitter
// does that and keeps the rest of the file (the prelude: settings, anchors,
// the list keys themselves with their items left out) for one parse at the
// end. What it cannot cut with certainty it refuses (errReadWhole), and the
// file is then read whole, as yaml.Unmarshal reads it: the cut is only ever
// a way to read the same routes with less memory.

// errReadWhole says that a file's layout does not let the splitter cut it
// with certainty: it must be read whole.
var errReadWhole = errors.New("the file must be read whole")

// splitFile reads a file line by line. It hands each item of a top-level
// block list named list (routes or policy) to each, as YAML text of its own
// that parses to a list of that one item, with the prelude read so far, and
// returns the prelude and the lists it cut, in file order, with the line of
// the prelude that holds each list's key. each must keep neither text: their
// buffers are reused.
func splitFile(r io.Reader, list string, each func(index int, item, preludeSoFar []byte) error) (*prelude, error) {
	s := &splitter{r: bufio.NewReaderSize(r, 64<<10), list: list, each: each, pre: &prelude{}}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s.pre, nil
}

// prelude is what the splitter keeps of a file: everything but the items of
// the lists it cut.
type prelude struct {
	text []byte
	// lines counts the lines of text.
	lines int
	// cut are the lists cut out of the file, in file order.
	cut []cutList
}

// cutList is a top-level list whose items the splitter cut out.
type cutList struct {
	key string
	// line is the line of the prelude that holds the key (1-based).
	line  int
	items int
}

type splitter struct {
	r    *bufio.Reader
	list string
	each func(int, []byte, []byte) error
	pre  *prelude

	line    []byte
	content int // lines of the file that are neither blank nor comments
	// inList is the index in pre.cut of the list being cut, or -1.
	inList int
	indent int // of the current list's items; -1 before its first item
	// open says an item is being read; item holds its text when its list
	// is the one asked for.
	open bool
	item []byte
}

func (s *splitter) run() error {
	s.inList = -1
	for {
		err := s.readLine()
		if len(s.line) > 0 {
			if err := s.take(); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return s.endItem()
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads the next line, with its line break, into s.line.
func (s *splitter) readLine() error {
	s.line = s.line[:0]
	for {
		part, err := s.r.ReadSlice('\n')
		s.line = append(s.line, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// otherBreaks are what YAML also takes for line breaks inside what the
// splitter reads as one line: a carriage return alone, NEL, LS and PS.
var otherBreaks = [][]byte{[]byte("\r"), []byte("\u0085"), []byte("\u2028"), []byte("\u2029")}

// take files one line: into the current item, or the prelude.
func (s *splitter) take() error {
	text := bytes.TrimSuffix(bytes.TrimSuffix(s.line, []byte("\n")), []byte("\r"))
	for _, brk := range otherBreaks {
		if bytes.Contains(text, brk) {
			// The parser sees more lines than the splitter, at other
			// columns: let it read them.
			return errReadWhole
		}
	}
	if s.content == 0 {
		text = bytes.TrimPrefix(text, []byte("\uFEFF"))
	}
	col := len(text) - len(bytes.TrimLeft(text, " "))
	rest := text[col:]
	if len(rest) == 0 || rest[0] == '#' {
		// Blank lines and comments mean nothing: they stay with what
		// they follow.
		if s.open {
			s.addToItem()
		} else {
			s.keep()
		}
		return nil
	}
	if rest[0] == '\t' {
		// Tabs are not indentation in YAML: let the parser say so.
		return errReadWhole
	}
	s.content++
	if s.inList >= 0 {
		handled, err := s.listLine(col, rest)
		if handled || err != nil {
			return err
		}
	}
	if col == 0 {
		if err := s.topLine(rest); err != nil {
			return err
		}
	}
	s.keep()
	return nil
}

// listLine takes a line inside a cut list; handled is false when the line
// ends the list (a top-level key, which the prelude takes).
func (s *splitter) listLine(col int, rest []byte) (handled bool, err error) {
	dash := rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
	switch {
	case s.indent < 0 && dash:
		s.indent = col
	case s.indent < 0 && col == 0:
		// The list key had no value: null, as the prelude shows.
		s.inList = -1
		return false, nil
	case s.indent < 0:
		// A flow list or a scalar below the key: the parser reads it.
		return false, errReadWhole
	case col > s.indent:
		s.addToItem()
		return true, nil
	case col == s.indent && dash:
	case col == 0:
		err := s.endItem()
		s.inList = -1
		return false, err
	default:
		return false, errReadWhole
	}
	if err := s.endItem(); err != nil {
		return false, err
	}
	s.open = true
	s.addToItem()
	return true, nil
}

// topLine looks at a line that starts at column 0 outside a cut list: a
// list key whose items follow starts a cut.
func (s *splitter) topLine(rest []byte) error {
	switch {
	case s.content == 1 && isMarker(rest, "---"):
		return nil
	case rest[0] == '%' || isMarker(rest, "---") || isMarker(rest, "..."):
		// Directives, or a second document, which yaml.Unmarshal
		// would not read.
		return errReadWhole
	}
	key, ok := blockListKey(rest)
	if !ok {
		return nil
	}
	s.pre.cut = append(s.pre.cut, cutList{key: key, line: s.pre.lines + 1})
	s.inList, s.indent = len(s.pre.cut)-1, -1
	return nil
}

// blockListKey recognises "routes:" and "policy:" alone on a line (a
// comment may follow): the keys whose block lists can be cut.
func blockListKey(line []byte) (string, bool) {
	for key := range routeLists {
		rest, ok := bytes.CutPrefix(line, []byte(key+":"))
		if !ok {
			continue
		}
		rest = bytes.TrimLeft(rest, " \t")
		if len(rest) == 0 || rest[0] == '#' {
			return key, true
		}
	}
	return "", false
}

func isMarker(line []byte, marker string) bool {
	rest, ok := bytes.CutPrefix(line, []byte(marker))
	return ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t')
}

// keep adds the current line to the prelude.
func (s *splitter) keep() {
	s.pre.text = append(s.pre.text, s.line...)
	if !bytes.HasSuffix(s.line, []byte("\n")) {
		s.pre.text = append(s.pre.text, '\n')
	}
	s.pre.lines++
}

// addToItem adds the current line to the item being read, when its list
// is the one asked for.
func (s *splitter) addToItem() {
	if s.pre.cut[s.inList].key == s.list {
		s.item = append(s.item, s.line...)
	}
}

// endItem hands the item read so far over, if its list is the one asked
// for.
func (s *splitter) endItem() error {
	if !s.open {
		return nil
	}
	s.open = false
	cut := &s.pre.cut[s.inList]
	i := cut.items
	cut.items++
	if cut.key != s.list {
		return nil
	}
	item := s.item
	s.item = s.item[:0]
	return s.each(i, item, s.pre.text)
}
