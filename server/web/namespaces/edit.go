package namespaces

import (
	"fmt"
	"net/http"
	"strconv"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// create makes a child of the namespace: SetNamespace without an id.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, err := readForm(w, r, "name")
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	res, err := s.d.Services.Namespaces.SetNamespace(r.Context(), connect.NewRequest(&pb.SetNamespaceRequest{
		Namespace: &pb.Namespace{ParentId: id, Name: f.Get("name")},
	}))
	if err != nil {
		s.refused(w, r, id, err, func(d *nsData) {
			refuse(f, err, namespaceFields)
			d.Create = f
		})
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id, fmt.Sprintf("Created the namespace %q.", res.Msg.GetNamespace().GetName()))
}

// rename changes the name of the namespace, keeping its parent, if it is
// still at the version the viewer saw.
func (s *screen) rename(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, "name", func(cur *pb.Namespace, f *ui.Form) *pb.Namespace {
		return &pb.Namespace{Id: cur.GetId(), ParentId: cur.GetParentId(), Name: f.Get("name")}
	}, func(d *nsData, f *ui.Form) { d.Rename = f }, "Renamed the namespace.")
}

// move puts the namespace under another parent, keeping its name, if it is
// still at the version the viewer saw.
func (s *screen) move(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, "parent_id", func(cur *pb.Namespace, f *ui.Form) *pb.Namespace {
		return &pb.Namespace{Id: cur.GetId(), ParentId: f.Get("parent_id"), Name: cur.GetName()}
	}, func(d *nsData, f *ui.Form) { d.Move = f }, "Moved the namespace.")
}

// update is a rename or a move: SetNamespace with the namespace as read
// now, changed by the form, and the form's expected version, so that a
// change made since the viewer loaded the page is refused, not
// overwritten.
func (s *screen) update(w http.ResponseWriter, r *http.Request, field string,
	change func(cur *pb.Namespace, f *ui.Form) *pb.Namespace, show func(d *nsData, f *ui.Form), notice string,
) {
	id := r.PathValue("id")
	f, err := readForm(w, r, field, "expected_version")
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	fail := func(err error) {
		s.refused(w, r, id, err, func(d *nsData) {
			if refuse(f, err, namespaceFields) {
				// The page now shows the current values: a second submit
				// applies the viewer's change over what they have seen.
				f.Values["expected_version"] = strconv.FormatInt(d.NS.GetVersion(), 10)
			}
			show(d, f)
		})
	}
	version, err := expectedVersion(f)
	if err != nil {
		fail(err)
		return
	}
	cur, err := s.d.Services.Namespaces.GetNamespace(r.Context(), connect.NewRequest(&pb.GetNamespaceRequest{Id: id}))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	_, err = s.d.Services.Namespaces.SetNamespace(r.Context(), connect.NewRequest(&pb.SetNamespaceRequest{
		Namespace: change(cur.Msg.GetNamespace(), f), ExpectedVersion: version,
	}))
	if err != nil {
		fail(err)
		return
	}
	ui.Redirect(w, r, "/namespaces/"+id, notice)
}

// remove deletes the namespace; the service refuses one that still holds
// anything (routes, policies, key pairs, permissions, child namespaces).
func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := ui.ParseForm(w, r); err != nil {
		s.t.Fail(w, r, connect.NewError(connect.CodeInvalidArgument, err))
		return
	}
	cur, err := s.d.Services.Namespaces.GetNamespace(r.Context(), connect.NewRequest(&pb.GetNamespaceRequest{Id: id}))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	ns := cur.Msg.GetNamespace()
	if _, err := s.d.Services.Namespaces.DeleteNamespace(r.Context(), connect.NewRequest(&pb.DeleteNamespaceRequest{Id: id})); err != nil {
		s.refused(w, r, id, err, func(d *nsData) {
			refuse(d.Delete, err, nil)
		})
		return
	}
	ui.Redirect(w, r, "/namespaces/"+ns.GetParentId(), fmt.Sprintf("Deleted the namespace %q.", ns.GetName()))
}
