package policies_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestCreateThroughTheEditor(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	team := namespace(t, st, global, "team")
	e.Grant(store.RoleManager, team.ID, store.SubjectUser, "m@example.com")
	b := e.User("m@example.com")

	form := b.Get("/policies/new?namespace=" + team.ID)
	if form.Status != http.StatusOK {
		t.Fatalf("status %d: %s", form.Status, form.Text())
	}
	if sel := form.Find(`#namespace_id option[selected]`).AttrOr("value", ""); sel != team.ID {
		t.Errorf("the editor preselects namespace %q, want the team", sel)
	}
	for _, sel := range []string{"textarea#ppl[hx-post='/policies/validate']", "#ppl-check[data-keep-focus]", `button[value="check"]`, `button[value="generate"]`, `button[value="add-row"]`, `label[for="name"]`} {
		if form.Find(sel).Length() == 0 {
			t.Errorf("the editor lacks %s", sel)
		}
	}

	in := editorForm("staff-only", team.ID, goodPPL)
	in.Set("explanation", "staff only")
	in.Set("remediation", "ask the help desk")
	res := b.Post("/policies/new", in)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", res.Status, res.Find("main").Text())
	}
	got := policiesNamed(t, st, team.ID, "staff-only")
	if len(got) != 1 {
		t.Fatalf("store holds %d policies named staff-only", len(got))
	}
	p := got[0]
	if p.PPL != goodPPL || p.Description != "who may enter" || p.Explanation != "staff only" || p.Remediation != "ask the help desk" || p.Enforced || p.Origin != store.OriginUI {
		t.Errorf("stored policy %+v", p)
	}
	if res.Location() != "/policies/"+p.ID {
		t.Errorf("redirect to %q", res.Location())
	}
	shown := b.Follow(res)
	if !strings.Contains(shown.Find(".notice").Text(), "saved") || shown.Find("textarea#ppl").Text() != goodPPL {
		t.Errorf("the page after saving: notice %q, PPL %q", shown.Find(".notice").Text(), shown.Find("textarea#ppl").Text())
	}
	// The builder shows the stored PPL as rows.
	if v := shown.Find(`input[name="b_value"]`).AttrOr("value", ""); v != "user@example.com" {
		t.Errorf("builder row value %q", v)
	}

	// Editing changes the stored policy.
	edit := editorForm("staff-only", team.ID, badPPL)
	edit.Set("ppl", strings.Replace(goodPPL, "user@", "boss@", 1))
	edit.Set("version", shown.Find(`input[name="version"]`).AttrOr("value", ""))
	if res := b.Post("/policies/"+p.ID, edit); res.Status != http.StatusSeeOther {
		t.Fatalf("edit: status %d: %s", res.Status, res.Find("main").Text())
	}
	if after := getPolicy(t, st, p.ID); !strings.Contains(after.PPL, "boss@") {
		t.Errorf("edit not stored: %q", after.PPL)
	}
}

func TestEditorRefusesInvalidInputAndKeepsIt(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := e.User(webtest.Admin)

	res := b.Post("/policies/new", editorForm("broken", global, badPPL))
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", res.Status)
	}
	msg := res.Find("#ppl-error").Text()
	if !strings.Contains(msg, `line 4, allow.and[1].email: unknown matcher "equals"`) {
		t.Errorf("error next to the PPL: %q", msg)
	}
	if res.Find("textarea#ppl").Text() != badPPL || res.Find("#name").AttrOr("value", "") != "broken" {
		t.Errorf("the editor lost the input")
	}
	if len(policiesNamed(t, st, global, "broken")) != 0 {
		t.Errorf("an invalid policy was stored")
	}

	res = b.Post("/policies/new", editorForm("", global, goodPPL))
	if res.Status != http.StatusBadRequest || res.Find("#name-error").Text() == "" {
		t.Errorf("empty name: status %d, error %q", res.Status, res.Find("#name-error").Text())
	}
}

func TestValidateAsYouType(t *testing.T) {
	t.Parallel()
	e, _ := env(t)
	b := e.User(webtest.Admin)

	bad := b.HTMX(http.MethodPost, "/policies/validate", url.Values{"ppl": {badPPL}})
	if bad.Status != http.StatusOK {
		t.Fatalf("status %d", bad.Status)
	}
	if msg := bad.Find("#ppl-error").Text(); !strings.Contains(msg, `line 4, allow.and[1].email: unknown matcher "equals"`) {
		t.Errorf("fragment for bad PPL: %q", bad.Text())
	}
	if strings.Contains(bad.Text(), "<html") {
		t.Errorf("the check answers a whole page, want a fragment")
	}
	yaml := b.HTMX(http.MethodPost, "/policies/validate", url.Values{"ppl": {"allow:\n  and: [\n"}})
	if !strings.Contains(yaml.Text(), "line 2") {
		t.Errorf("fragment for broken YAML: %q", yaml.Text())
	}
	good := b.HTMX(http.MethodPost, "/policies/validate", url.Values{"ppl": {goodPPL}})
	if good.Find(".badge.ok").Text() != "valid" || good.Find("#ppl-error").Length() != 0 {
		t.Errorf("fragment for good PPL: %q", good.Text())
	}
}

func TestCheckWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := e.User(webtest.Admin)

	in := editorForm("checked", global, badPPL)
	in.Set("action", "check")
	res := b.Post("/policies/new", in)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d", res.Status)
	}
	if !strings.Contains(res.Find("#ppl-check").Text(), "unknown matcher") || res.Find("textarea#ppl").Text() != badPPL {
		t.Errorf("check of bad PPL shows %q", res.Find("#ppl-check").Text())
	}
	in.Set("ppl", goodPPL)
	res = b.Post("/policies/new", in)
	if !strings.Contains(res.Find("#ppl-check").Text(), "valid") || res.Find("#ppl-error").Length() != 0 {
		t.Errorf("check of good PPL shows %q", res.Find("#ppl-check").Text())
	}
	if len(policiesNamed(t, st, global, "checked")) != 0 {
		t.Errorf("Check saved the policy")
	}
}

func TestBuilderWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := e.User(webtest.Admin)

	in := builderForm("built", "add-row", builderRow{"and", "domain", "", "is", "example.com"})
	res := b.Post("/policies/new", in)
	if n := res.Find(`select[name="b_crit"]`).Length(); res.Status != http.StatusOK || n != 2 {
		t.Fatalf("add-row: status %d, %d rows, want 2", res.Status, n)
	}
	if v := res.Find(`input[name="b_value"]`).First().AttrOr("value", ""); v != "example.com" {
		t.Errorf("add-row lost the first row's value: %q", v)
	}

	in.Set("action", "generate")
	in["b_op"] = []string{"and", "or", "not"}
	in["b_crit"] = []string{"domain", "claim", "http_method"}
	in["b_claim"] = []string{"", "department", ""}
	in["b_match"] = []string{"is", "has", "is"}
	in["b_value"] = []string{"example.com", "sales", "DELETE"}
	res = b.Post("/policies/new", in)
	want := "allow:\n  and:\n    - domain: {is: example.com}\n  or:\n    - claim/department: {has: sales}\n  not:\n    - http_method: {is: DELETE}\n"
	if got := res.Find("textarea#ppl").Text(); got != want {
		t.Fatalf("generated PPL:\n%s\nwant:\n%s", got, want)
	}
	if res.Find("#ppl-check .badge.ok").Length() == 0 {
		t.Errorf("generated PPL not shown as valid: %q", res.Find("#ppl-check").Text())
	}

	in.Set("action", "remove-row-1")
	if res := b.Post("/policies/new", in); res.Find(`select[name="b_crit"]`).Length() != 2 {
		t.Errorf("remove-row left %d rows", res.Find(`select[name="b_crit"]`).Length())
	}

	in.Set("action", "generate")
	in["b_match"] = []string{"is", "starts_with", "is"}
	res = b.Post("/policies/new", in)
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Find("#b-row-2-error").Text(), "claim takes the matchers has, is, exclude") {
		t.Errorf("bad row: status %d, error %q", res.Status, res.Find("#b-row-2-error").Text())
	}

	// The generated PPL saves as it is.
	save := editorForm("built", global, want)
	if res := b.Post("/policies/new", save); res.Status != http.StatusSeeOther {
		t.Fatalf("save generated PPL: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := policiesNamed(t, st, global, "built"); len(got) != 1 || got[0].PPL != want {
		t.Errorf("stored %+v", got)
	}
}

// The builder offers the device criterion and shows a policy of it in its
// rows.
func TestBuilderOffersDevice(t *testing.T) {
	t.Parallel()
	e, _ := env(t)
	b := e.User(webtest.Admin)
	in := builderForm("devices", "generate",
		builderRow{"and", "device", "", "approved", "true"}, builderRow{"and", "device", "", "type", "enclave_only"})
	res := b.Post("/policies/new", in)
	want := "allow:\n  and:\n    - device: {approved: true}\n    - device: {type: enclave_only}\n"
	if got := res.Find("textarea#ppl").Text(); got != want {
		t.Fatalf("generated PPL:\n%s\nwant:\n%s", got, want)
	}
	if res.Find("#ppl-check .badge.ok").Length() == 0 {
		t.Errorf("generated PPL not shown as valid: %q", res.Find("#ppl-check").Text())
	}
	for _, opt := range []string{`select[name="b_crit"] option[value="device"]`, `select[name="b_match"] option[value="approved"]`, `select[name="b_match"] option[value="type"]`} {
		if res.Find(opt).Length() == 0 {
			t.Errorf("the builder offers no %s", opt)
		}
	}
	if got := res.Find(`select[name="b_match"]`).Eq(1).Find("option[selected]").AttrOr("value", ""); got != "type" {
		t.Errorf("the second row's matcher is %q", got)
	}
}

// builderRow is a row of the builder as its form sends it.
type builderRow struct{ op, criterion, claim, matcher, value string }

// builderForm is the editor's form of a new policy in the Global namespace
// that asks for action with the builder's rows, of a rule that allows.
func builderForm(name, action string, rows ...builderRow) url.Values {
	in := editorForm(name, global, "")
	in.Set("action", action)
	in["b_action"] = []string{"allow"}
	for _, r := range rows {
		in["b_op"], in["b_crit"], in["b_claim"] = append(in["b_op"], r.op), append(in["b_crit"], r.criterion), append(in["b_claim"], r.claim)
		in["b_match"], in["b_value"] = append(in["b_match"], r.matcher), append(in["b_value"], r.value)
	}
	return in
}
