package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// checkKeyCase refuses a key of the document (j, as JSON) that names a
// field in other letter case. encoding/json matches keys regardless of
// case, so "Policies" would fill policies, and a document holding both
// would silently keep one list of the two.
func checkKeyCase(j []byte) error {
	var doc any
	if err := json.Unmarshal(j, &doc); err != nil {
		return err
	}
	return keyCase(doc, reflect.TypeFor[Document](), "")
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

func keyCase(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case []any:
		if t.Kind() != reflect.Slice || t == rawMessage {
			return nil
		}
		for i, item := range x {
			if err := keyCase(item, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil
		}
		fields := map[string]reflect.StructField{}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f
			}
		}
		for _, key := range slices.Sorted(maps.Keys(x)) {
			value := x[key]
			at := key
			if path != "" {
				at = path + "." + key
			}
			f, ok := fields[key]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, key) {
						return fmt.Errorf("%s: unknown field; keys are case-sensitive: write %s", at, name)
					}
				}
				continue // unknown fields are refused by the decoder itself
			}
			if err := keyCase(value, f.Type, at); err != nil {
				return err
			}
		}
	}
	return nil
}
