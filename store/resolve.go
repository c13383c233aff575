package store

import (
	"context"
	"fmt"
	"strings"
)

// ResolveNamespace returns the id of the namespace that ref names: empty for
// the Global namespace, a namespace id, or a path of names separated by
// slashes that starts at Global, with or without Global's own name
// ("Global/Production" and "Production" are the same namespace). A namespace
// whose name contains a slash can only be named by its id.
func ResolveNamespace(ctx context.Context, s Desired, ref string) (string, error) {
	if ref == "" {
		return GlobalNamespaceID, nil
	}
	if ValidID(ref) {
		if _, err := s.Get(ctx, KindNamespace, ref); err != nil {
			return "", err
		}
		return ref, nil
	}
	global, err := Get[*Namespace](ctx, s, GlobalNamespaceID)
	if err != nil {
		return "", fmt.Errorf("read the Global namespace: %w", err)
	}
	segments := strings.Split(ref, "/")
	if segments[0] == global.Name {
		segments = segments[1:]
	}
	id, path := global.ID, global.Name
	for _, seg := range segments {
		if seg == "" {
			return "", Invalid(KindNamespace, "", "path", "%q has an empty segment", ref)
		}
		child, err := childNamed(ctx, s, id, seg)
		if err != nil {
			return "", err
		}
		if child == "" {
			return "", &Error{Code: CodeNotFound, Kind: KindNamespace,
				Reason: fmt.Sprintf("%q does not exist: %q has no namespace named %q", ref, path, seg)}
		}
		id, path = child, path+"/"+seg
	}
	return id, nil
}

func childNamed(ctx context.Context, s Desired, parent, name string) (string, error) {
	// The query narrows the list; names match case-insensitively there but
	// exactly here.
	res, err := s.List(ctx, KindNamespace, ListQuery{NamespaceID: parent, Query: name})
	if err != nil {
		return "", fmt.Errorf("list the namespaces under %s: %w", parent, err)
	}
	for _, obj := range res.Objects {
		if m := obj.GetObjectMeta(); m.Name == name {
			return m.ID, nil
		}
	}
	return "", nil
}
