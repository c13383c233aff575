package policies

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/api/consolepb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// editData is what the policy page shows: the editor (or, for a viewer
// who may not change the policy, the policy read-only) and the routes tab.
type editData struct {
	New    bool
	ID     string
	Policy *pb.Policy
	// Path is the path of the stored policy's namespace.
	Path string
	// Action is where the editor posts.
	Action string
	Form   *ui.Form
	// Namespaces are those the viewer may create policies in.
	Namespaces []ui.Namespace
	// CanEnforce: the viewer is admin of a namespace they may choose.
	CanEnforce bool
	// ReadOnly says why the viewer may not change the policy; "" when
	// they may.
	ReadOnly string
	Check    *check
	Builder  *builder
	// Tab is "general" (the editor) or "routes".
	Tab    string
	UsedBy *usedBy
}

// Sync is the stored policy's sync status for the shared "sync" badge.
func (d *editData) Sync() *consolepb.SyncStatus { return syncOf(d.Policy.GetSyncStatus()) }

// The builder's choices, for the template.
func (*editData) Criteria() []criterion { return criteria }
func (*editData) Matchers() []string    { return matchers }
func (*editData) Operators() []string   { return operators }
func (*editData) Actions() []string     { return actions }

// formFields are the editor's fields, named as the policy's fields are in
// the service's messages.
var formFields = []string{"name", "description", "namespace_id", "enforced", "explanation", "remediation", "ppl"}

// writable lists the namespaces where the viewer may write policies.
func writable(v *ui.Viewer) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if v.Can(ns.ID, string(store.RoleManager)) {
			out = append(out, ns)
		}
	}
	return out
}

// newData is the editor of a new policy.
func newData(v *ui.Viewer) *editData {
	d := &editData{New: true, Action: "/policies/new", Form: ui.NewForm(), Namespaces: writable(v), Tab: "general"}
	d.CanEnforce = slices.ContainsFunc(d.Namespaces, func(ns ui.Namespace) bool { return v.Can(ns.ID, string(store.RoleAdmin)) })
	if len(d.Namespaces) == 0 {
		d.ReadOnly = "Creating a policy needs the manager role in a namespace; you have it in none."
	}
	return d
}

// existingData is the page of a stored policy, with its values in the
// editor.
func existingData(v *ui.Viewer, p *pb.Policy) *editData {
	d := newData(v)
	d.New, d.ID, d.Policy, d.Path, d.Action = false, p.GetId(), p, v.NamespacePath(p.GetNamespaceId()), "/policies/"+p.GetId()
	ns := p.GetNamespaceId()
	switch {
	case p.GetSyncStatus().GetOrigin() == string(store.OriginKubernetes):
		d.ReadOnly = fmt.Sprintf("This policy is managed by Kubernetes (%s): change it there.", p.GetSyncStatus().GetOriginRef())
	case !v.Can(ns, string(store.RoleManager)):
		d.ReadOnly = "Changing this policy needs the manager role in its namespace."
	case p.GetEnforced() && !v.Can(ns, string(store.RoleAdmin)):
		d.ReadOnly = "This policy is enforced: changing or deleting it needs the admin role in its namespace."
	default:
		d.ReadOnly = ""
	}
	f := d.Form
	f.Values["name"], f.Values["description"], f.Values["namespace_id"] = p.GetName(), p.GetDescription(), ns
	f.Values["explanation"], f.Values["remediation"], f.Values["ppl"] = p.GetExplanation(), p.GetRemediation(), p.GetPpl()
	f.Values["version"] = strconv.FormatInt(p.GetVersion(), 10)
	if p.GetEnforced() {
		f.Values["enforced"] = "on"
	}
	return d
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	d := newData(ui.ViewerFrom(r.Context()))
	p := ui.Page{Title: "New policy", Nav: ui.NavPolicies, Data: d}
	if d.ReadOnly != "" {
		p.Error = d.ReadOnly
		s.t.Render(w, r, http.StatusForbidden, editPage, p)
		return
	}
	d.Form.Values["namespace_id"] = d.Namespaces[0].ID
	if want := r.URL.Query().Get("namespace"); slices.ContainsFunc(d.Namespaces, func(ns ui.Namespace) bool { return ns.ID == want }) {
		d.Form.Values["namespace_id"] = want
	}
	d.Builder = newBuilder()
	s.t.Render(w, r, http.StatusOK, editPage, p)
}

func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	d := newData(ui.ViewerFrom(r.Context()))
	p := ui.Page{Title: "New policy", Nav: ui.NavPolicies, Data: d}
	if d.ReadOnly != "" {
		p.Error = d.ReadOnly
		s.t.Render(w, r, http.StatusForbidden, editPage, p)
		return
	}
	s.act(w, r, p, d)
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	pol, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d := existingData(ui.ViewerFrom(r.Context()), pol)
	p := ui.Page{Title: "Policy " + pol.GetName(), Nav: ui.NavPolicies, Data: d}
	if r.URL.Query().Get("tab") == "routes" {
		d.Tab = "routes"
		if d.UsedBy, err = s.usedBy(r, pol); err != nil {
			s.t.Fail(w, r, err)
			return
		}
		s.t.Render(w, r, http.StatusOK, editPage, p)
		return
	}
	d.Builder = builderFor(pol.GetPpl())
	s.t.Render(w, r, http.StatusOK, editPage, p)
}

func (s *screen) update(w http.ResponseWriter, r *http.Request) {
	pol, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d := existingData(ui.ViewerFrom(r.Context()), pol)
	p := ui.Page{Title: "Policy " + pol.GetName(), Nav: ui.NavPolicies, Data: d}
	if d.ReadOnly != "" {
		p.Error = d.ReadOnly
		s.t.Render(w, r, http.StatusForbidden, editPage, p)
		return
	}
	s.act(w, r, p, d)
}

func (s *screen) get(r *http.Request) (*pb.Policy, error) {
	res, err := s.d.Services.Policies.GetPolicy(r.Context(), connect.NewRequest(&pb.GetPolicyRequest{Id: r.PathValue("id")}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetPolicy(), nil
}

// act answers a post of the editor: every button but Save re-renders the
// editor with the viewer's input and changes nothing, so the editor works
// without JavaScript.
func (s *screen) act(w http.ResponseWriter, r *http.Request, p ui.Page, d *editData) {
	if err := ui.ParseForm(w, r); err != nil {
		p.Error = err.Error()
		s.t.Render(w, r, http.StatusBadRequest, editPage, p)
		return
	}
	d.Form.Values = formValues(r.PostForm)
	d.Builder = builderFrom(r.PostForm)
	action := r.PostForm.Get("action")
	switch {
	case action == "check":
		d.Check = checkPPL(d.Form.Get("ppl"))
	case action == "add-row":
		d.Builder.Rows = append(d.Builder.Rows, emptyRow())
	case strings.HasPrefix(action, "remove-row-"):
		if i, err := strconv.Atoi(strings.TrimPrefix(action, "remove-row-")); err == nil && i >= 0 && i < len(d.Builder.Rows) {
			d.Builder.Rows = slices.Delete(d.Builder.Rows, i, i+1)
		}
	case action == "generate":
		ppl, ok := d.Builder.generate()
		if !ok {
			p.Error = "The builder cannot write PPL from these criteria; see the reasons below."
			s.t.Render(w, r, http.StatusBadRequest, editPage, p)
			return
		}
		d.Form.Values["ppl"] = ppl
		d.Check = checkPPL(ppl)
	default:
		s.save(w, r, p, d)
		return
	}
	s.t.Render(w, r, http.StatusOK, editPage, p)
}

// formValues keeps the editor's fields of a post. The version is the one
// the editor was opened at, posted back in a hidden field, so that a save
// over someone else's change is refused rather than made.
func formValues(post url.Values) map[string]string {
	out := map[string]string{"version": post.Get("version")}
	for _, k := range formFields {
		out[k] = post.Get(k)
	}
	return out
}

func (s *screen) save(w http.ResponseWriter, r *http.Request, p ui.Page, d *editData) {
	f := d.Form
	req := &pb.SetPolicyRequest{Policy: &pb.Policy{
		Id: d.ID, NamespaceId: f.Get("namespace_id"), Name: strings.TrimSpace(f.Get("name")),
		Description: f.Get("description"), Enforced: f.Get("enforced") == "on",
		Explanation: f.Get("explanation"), Remediation: f.Get("remediation"), Ppl: f.Get("ppl"),
	}}
	if !d.New {
		version, err := strconv.ParseInt(f.Get("version"), 10, 64)
		if err != nil {
			p.Error = "The form lacks the version of the policy it edits; reload the page."
			s.t.Render(w, r, http.StatusBadRequest, editPage, p)
			return
		}
		req.ExpectedVersion = &version
	}
	res, err := s.d.Services.Policies.SetPolicy(r.Context(), connect.NewRequest(req))
	if err != nil {
		p.Error = refuse(f, err, ui.ViewerFrom(r.Context()))
		s.t.Render(w, r, ui.Status(err), editPage, p)
		return
	}
	saved := res.Msg.GetPolicy()
	ui.Redirect(w, r, "/policies/"+saved.GetId(), fmt.Sprintf("Policy %q saved.", saved.GetName()))
}
