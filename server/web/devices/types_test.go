package devices_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
)

func TestDeviceTypesScreen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	page := ok(t, "the types", admin.Get("/devices/types"))
	for _, id := range []string{"any", "enclave_only"} {
		row := page.Find(`tr[data-id="` + id + `"]`)
		if !strings.Contains(row.Text(), "Pomerium's own") || row.Find(`a[href$="/delete"]`).Length() != 0 || row.Find(`a[href="/devices/types/`+id+`"]`).Length() != 1 {
			t.Errorf("built-in %s: %q", id, row.Text())
		}
	}
	if got := page.Find(`tr[data-id="enclave_only"]`).Text(); !strings.Contains(got, "platform") || !strings.Contains(got, "ES256, RS256, RS1") {
		t.Errorf("enclave_only's row: %q", got)
	}

	// A new type starts from any's options.
	form := ok(t, "the new type form", admin.Get("/devices/types/new"))
	if form.Find(`input[name="webauthn.options.pub_key_cred_params"][value="-7"][checked]`).Length() != 1 ||
		form.Find(`select[name="webauthn.options.attestation"] option[selected]`).AttrOr("value", "") != "DIRECT" {
		t.Errorf("the new type form does not start from any's options")
	}
	bad := admin.Post("/devices/types/new", url.Values{"name": {""}, "id": {"my type"}})
	if bad.Status != http.StatusBadRequest || bad.Find("#id-error").Length() != 1 {
		t.Errorf("a bad id: %d %q", bad.Status, bad.Find("main").Text())
	}
	bad = admin.Post("/devices/types/new", url.Values{"name": {"Keys"}, "id": {"keys"}})
	if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Find(`[id="webauthn.options.pub_key_cred_params-error"]`).Text(), "at least one algorithm") {
		t.Errorf("no algorithm: %d %q", bad.Status, bad.Find("main").Text())
	}
	bad = admin.Post("/devices/types/new", url.Values{"name": {"Mine"}, "id": {"any"}, "webauthn.options.pub_key_cred_params": {"-7"}})
	if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Find("#id-error").Text(), "exists") {
		t.Errorf("a new type of a taken id: %d %q", bad.Status, bad.Find("main").Text())
	}
	res := admin.Post("/devices/types/new", url.Values{
		"name": {"Security keys"}, "id": {"keys"}, "webauthn.options.pub_key_cred_params": {"-7", "-8"},
		"webauthn.options.authenticator_selection.authenticator_attachment": {"CROSS_PLATFORM"},
		"webauthn.options.authenticator_selection.user_verification":        {"USER_VERIFICATION_REQUIRED"},
		"webauthn.options.authenticator_selection.require_resident_key":     {"false"},
	})
	if res.Status != http.StatusSeeOther || res.Location() != "/devices/types" {
		t.Fatalf("add a type: %d %q", res.Status, res.Find("main").Text())
	}
	var stored devicepb.Type
	if !f.record(deviceTypeRecordType, "keys", &stored) {
		t.Fatal("no record of the new type")
	}
	sel := stored.GetWebauthn().GetOptions().GetAuthenticatorSelection()
	if stored.GetName() != "Security keys" || sel.GetAuthenticatorAttachment() != devicepb.WebAuthnOptions_CROSS_PLATFORM ||
		sel.GetUserVerification() != devicepb.WebAuthnOptions_USER_VERIFICATION_REQUIRED || sel.RequireResidentKey == nil || sel.GetRequireResidentKey() ||
		stored.GetWebauthn().GetOptions().Attestation != nil || len(stored.GetWebauthn().GetOptions().GetPubKeyCredParams()) != 2 {
		t.Errorf("the stored type: %v", &stored)
	}
	// Edit it: the form shows what is stored, and saves the change.
	edit := ok(t, "the type's form", admin.Get("/devices/types/keys"))
	if edit.Find(`select[name="webauthn.options.authenticator_selection.user_verification"] option[selected]`).AttrOr("value", "") != "USER_VERIFICATION_REQUIRED" ||
		edit.Find(`input[name="webauthn.options.pub_key_cred_params"][value="-8"][checked]`).Length() != 1 || edit.Find("#type-id").Text() != "keys" {
		t.Errorf("the edit form does not show the stored type")
	}
	if res := admin.Post("/devices/types/keys", url.Values{"name": {"Keys"}, "webauthn.options.pub_key_cred_params": {"-7"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save the type: %d %q", res.Status, res.Find("main").Text())
	}
	if f.record(deviceTypeRecordType, "keys", &stored); stored.GetName() != "Keys" || len(stored.GetWebauthn().GetOptions().GetPubKeyCredParams()) != 1 {
		t.Errorf("the changed type: %v", &stored)
	}
	// Override any, then restore Pomerium's.
	if res := admin.Post("/devices/types/any", url.Values{"name": {"Anything"}, "webauthn.options.pub_key_cred_params": {"-7"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("override any: %d %q", res.Status, res.Find("main").Text())
	}
	list := ok(t, "the types", admin.Get("/devices/types"))
	if row := list.Find(`tr[data-id="any"]`); !strings.Contains(row.Text(), "overrides Pomerium's") || row.Find(`a[href="/devices/types/any/delete"]`).Length() != 1 {
		t.Errorf("the overridden any: %q", row.Text())
	}
	if res := admin.Post("/devices/types/any/delete", url.Values{}); res.Status != http.StatusSeeOther || f.record(deviceTypeRecordType, "any", nil) {
		t.Errorf("restore any: %d", res.Status)
	}
	// A built-in type cannot be deleted; a type in use neither.
	if page := admin.Get("/devices/types/enclave_only/delete"); page.Status != http.StatusForbidden || page.Find("#delete-refused").Length() != 1 {
		t.Errorf("delete a built-in type: %d", page.Status)
	}
	f.register("u-dana", "keys", "", time.Now())
	refused := admin.Post("/devices/types/keys/delete", url.Values{})
	if refused.Status != http.StatusConflict || !strings.Contains(refused.Find("main").Text(), "used by 1 device;") || !f.record(deviceTypeRecordType, "keys", nil) {
		t.Errorf("delete a type in use: %d %q", refused.Status, refused.Find("main").Text())
	}
	if res := admin.Post("/devices/types/new", url.Values{"name": {"Spare"}, "id": {"spare"}, "webauthn.options.pub_key_cred_params": {"-7"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add a spare type: %d", res.Status)
	}
	if confirm := ok(t, "the deletion's confirmation", admin.Get("/devices/types/spare/delete")); confirm.Find(`form[action="/devices/types/spare/delete"]`).Length() != 1 {
		t.Error("no form to delete an unused type")
	}
	if res := admin.Post("/devices/types/spare/delete", url.Values{}); res.Status != http.StatusSeeOther || f.record(deviceTypeRecordType, "spare", nil) {
		t.Errorf("delete an unused type: %d", res.Status)
	}
}
