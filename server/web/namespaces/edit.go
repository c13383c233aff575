package namespaces

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// create makes a child of the namespace.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, err := readForm(w, r, "name")
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	made, err := s.d.App.SetNamespace(r.Context(), ui.ViewerFrom(r.Context()).Caller(), manage.NamespaceInput{
		Namespace: &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: id, Name: f.Get("name")}},
	})
	if err != nil {
		s.refused(w, r, id, err, func(d *nsData) {
			refuse(f, err)
			d.Create = f
		})
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id, fmt.Sprintf("Created the namespace %q.", made.Name))
}

// rename changes the name of the namespace, keeping its parent, if it is
// still at the version the viewer saw.
func (s *screen) rename(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, "name", func(ns *store.Namespace, f *ui.Form) { ns.Name = f.Get("name") },
		func(d *nsData, f *ui.Form) { d.Rename = f }, "Renamed the namespace.")
}

// move puts the namespace under another parent, keeping its name, if it is
// still at the version the viewer saw. The parent's input is namespace_id,
// as the use cases name a namespace's parent.
func (s *screen) move(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, "namespace_id", func(ns *store.Namespace, f *ui.Form) { ns.NamespaceID = f.Get("namespace_id") },
		func(d *nsData, f *ui.Form) { d.Move = f }, "Moved the namespace.")
}

// update is a rename or a move: the namespace as read now, changed by the
// form, written at the form's expected version, so that a change made
// since the viewer loaded the page is refused, not overwritten.
func (s *screen) update(w http.ResponseWriter, r *http.Request, field string,
	change func(ns *store.Namespace, f *ui.Form), show func(d *nsData, f *ui.Form), notice string,
) {
	id := r.PathValue("id")
	f, err := readForm(w, r, field, "expected_version")
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	fail := func(err error) {
		s.refused(w, r, id, err, func(d *nsData) {
			if refuse(f, err) {
				// The page now shows the current values: a second submit
				// applies the viewer's change over what they have seen.
				f.Values["expected_version"] = strconv.FormatInt(d.NS.Version, 10)
			}
			show(d, f)
		})
	}
	version, err := expectedVersion(f)
	if err != nil {
		fail(err)
		return
	}
	c := ui.ViewerFrom(r.Context()).Caller()
	cur, err := s.d.App.GetNamespace(r.Context(), c, id)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	// What a writer of namespaces sets: the store keeps the rest.
	next := &store.Namespace{ObjectMeta: store.ObjectMeta{ID: cur.ID, NamespaceID: cur.NamespaceID, Name: cur.Name}}
	change(next, f)
	if _, err := s.d.App.SetNamespace(r.Context(), c, manage.NamespaceInput{Namespace: next, ExpectedVersion: &version}); err != nil {
		fail(err)
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id, notice)
}

// remove deletes the namespace; the use cases refuse one that still holds
// anything (routes, policies, key pairs, permissions, child namespaces).
func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, manage.Refuse(manage.CodeInvalid, "", "%v", err))
		return
	}
	c := ui.ViewerFrom(r.Context()).Caller()
	ns, err := s.d.App.GetNamespace(r.Context(), c, id)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := s.d.App.DeleteNamespace(r.Context(), c, id); err != nil {
		s.refused(w, r, id, err, func(d *nsData) { refuse(d.Delete, err) })
		return
	}
	ui.Redirect(w, r, "/namespaces/"+ns.NamespaceID, fmt.Sprintf("Deleted the namespace %q.", ns.Name))
}
