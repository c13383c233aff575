package policies

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// editData is what the policy page shows: the editor (or, for a viewer
// who may not change the policy, the policy read-only) and the routes tab.
type editData struct {
	New    bool
	ID     string
	Policy *manage.Policy
	// Path is the path of the stored policy's namespace.
	Path string
	// Action is where the editor posts.
	Action string
	Form   *ui.Form
	// Namespaces are those the viewer may create policies in.
	Namespaces []ui.Namespace
	// CanEnforce: the viewer may enforce policies in a namespace they may
	// choose.
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

// The builder's choices, for the template.
func (*editData) Criteria() []criterion { return criteria }
func (*editData) Matchers() []string    { return matchers }
func (*editData) Operators() []string   { return operators }
func (*editData) Actions() []string     { return actions }

// formFields are the editor's fields, named as the use cases name the
// policy's fields, so that a refusal lands on the field it names.
var formFields = []string{"name", "description", "namespace_id", "enforced", "explanation", "remediation", "ppl"}

// writable lists the namespaces where the viewer may write policies.
func writable(v *ui.Viewer) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if v.May(string(manage.EditPolicies), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}

// newData is the editor of a new policy.
func newData(v *ui.Viewer) *editData {
	d := &editData{New: true, Action: "/policies/new", Form: ui.NewForm(), Namespaces: writable(v), Tab: "general"}
	d.CanEnforce = slices.ContainsFunc(d.Namespaces, func(ns ui.Namespace) bool { return v.May(string(manage.EnforcePolicies), ns.ID) })
	if len(d.Namespaces) == 0 {
		d.ReadOnly = "Creating a policy needs the manager role in a namespace; you have it in none."
	}
	return d
}

// existingData is the page of a stored policy, with its values in the
// editor.
func existingData(v *ui.Viewer, p *manage.Policy) *editData {
	d := newData(v)
	d.New, d.ID, d.Policy, d.Path, d.Action = false, p.ID, p, v.NamespacePath(p.NamespaceID), "/policies/"+p.ID
	ns := p.NamespaceID
	switch {
	case p.Origin == store.OriginKubernetes:
		d.ReadOnly = fmt.Sprintf("This policy is managed by Kubernetes (%s): change it there.", p.OriginRef)
	case !v.May(string(manage.EditPolicies), ns):
		d.ReadOnly = "Changing this policy needs the manager role in its namespace."
	case p.Enforced && !v.May(string(manage.EnforcePolicies), ns):
		d.ReadOnly = "This policy is enforced: changing or deleting it needs the admin role in its namespace."
	default:
		d.ReadOnly = ""
	}
	f := d.Form
	f.Values["name"], f.Values["description"], f.Values["namespace_id"] = p.Name, p.Description, ns
	f.Values["explanation"], f.Values["remediation"], f.Values["ppl"] = p.Explanation, p.Remediation, p.PPL
	f.Values["version"] = strconv.FormatInt(p.Version, 10)
	if p.Enforced {
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
	p := ui.Page{Title: "Policy " + pol.Name, Nav: ui.NavPolicies, Data: d}
	if r.URL.Query().Get("tab") == "routes" {
		d.Tab = "routes"
		if d.UsedBy, err = s.usedBy(r, pol); err != nil {
			s.t.Fail(w, r, err)
			return
		}
		s.t.Render(w, r, http.StatusOK, editPage, p)
		return
	}
	d.Builder = builderFor(pol.PPL)
	s.t.Render(w, r, http.StatusOK, editPage, p)
}

func (s *screen) update(w http.ResponseWriter, r *http.Request) {
	pol, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	d := existingData(ui.ViewerFrom(r.Context()), pol)
	p := ui.Page{Title: "Policy " + pol.Name, Nav: ui.NavPolicies, Data: d}
	if d.ReadOnly != "" {
		p.Error = d.ReadOnly
		s.t.Render(w, r, http.StatusForbidden, editPage, p)
		return
	}
	s.act(w, r, p, d)
}

// get reads the policy the path names.
func (s *screen) get(r *http.Request) (*manage.Policy, error) {
	return s.d.App.GetPolicy(r.Context(), ui.ViewerFrom(r.Context()).Caller(), r.PathValue("id"), manage.PolicyReads{})
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
	f, v := d.Form, ui.ViewerFrom(r.Context())
	in := manage.PolicyInput{Policy: &store.Policy{
		ObjectMeta:  store.ObjectMeta{ID: d.ID, NamespaceID: f.Get("namespace_id"), Name: strings.TrimSpace(f.Get("name"))},
		Description: f.Get("description"), Enforced: f.Get("enforced") == "on",
		Explanation: f.Get("explanation"), Remediation: f.Get("remediation"), PPL: f.Get("ppl"),
	}}
	if !d.New {
		version, err := strconv.ParseInt(f.Get("version"), 10, 64)
		if err != nil || version <= 0 {
			p.Error = "The form lacks the version of the policy it edits; reload the page."
			s.t.Render(w, r, http.StatusBadRequest, editPage, p)
			return
		}
		in.ExpectedVersion = &version
	}
	saved, err := s.d.App.SetPolicy(r.Context(), v.Caller(), in)
	if err != nil {
		p.Error = refuse(f, err, v)
		s.t.Render(w, r, ui.Status(err), editPage, p)
		return
	}
	ui.Redirect(w, r, "/policies/"+saved.ID, fmt.Sprintf("Policy %q saved.", saved.Name))
}
