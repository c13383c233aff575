package settings_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// certPEM is a self-signed certificate, without its key.
func certPEM(t *testing.T, name string) []byte {
	cert, _ := webtest.SelfSigned(t, name, time.Now().Add(time.Hour))
	return cert
}

func TestCertificatesReferToKeyPairsAndKeepInlineOnes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	actor := store.Actor{Subject: "seed", Origin: store.OriginAPI}
	kp, err := store.Put(ctx, f.st, actor, &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "wildcard"},
		Certificate: certPEM(t, "*.example.com")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := f.stored()
	inlineCert, inlineKeyPEM := webtest.SelfSigned(t, "inline.example.com", time.Now().Add(time.Hour))
	inlineKey := string(inlineKeyPEM)
	s.Spec.Certificates = []*configpb.Settings_Certificate{{CertBytes: inlineCert, KeyBytes: inlineKeyPEM}}
	if _, err := store.Put(ctx, f.st, actor, s, 0); err != nil {
		t.Fatal(err)
	}
	b := f.e.Recovery("")

	page := b.Get("/settings?section=tls")
	if strings.Contains(page.Text(), inlineKey) {
		t.Fatal("the page shows an inline certificate's key")
	}
	if !strings.Contains(page.Find("fieldset").Text(), "1 inline certificates are kept") {
		t.Errorf("the inline certificate is not mentioned: %q", page.Find("fieldset").Text())
	}
	form := formOf(t, page)
	form.Add("certificate_key_pair_ids", kp.ID)
	form.Set("downstream_mtls.ca_key_pair_id", kp.ID)
	if res := b.Post("/settings", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %s", res.Status, res.Find("main").Text())
	}
	spec := f.stored().Spec
	if !slices.Equal(spec.GetCertificateKeyPairIds(), []string{kp.ID}) || len(spec.GetCertificates()) != 1 ||
		string(spec.GetCertificates()[0].GetKeyBytes()) != inlineKey || spec.GetDownstreamMtls().GetCaKeyPairId() != kp.ID {
		t.Errorf("certificates after the save: %v", spec)
	}
	if spec.GetSharedSecret() != sharedSecret {
		t.Errorf("the shared secret changed")
	}

	// The page shows the choice; unticking it drops the reference only.
	page = b.Get("/settings?section=tls")
	if _, ok := page.Find(`input[name="certificate_key_pair_ids"][value="` + kp.ID + `"]`).Attr("checked"); !ok {
		t.Errorf("the chosen key pair is not ticked")
	}
	form = formOf(t, page)
	form.Del("certificate_key_pair_ids")
	if res := b.Post("/settings", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d", res.Status)
	}
	if spec := f.stored().Spec; len(spec.GetCertificateKeyPairIds()) != 0 || len(spec.GetCertificates()) != 1 {
		t.Errorf("certificates after unticking: %v", spec)
	}
}

func TestSettingsFromKubernetesAreReadOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.stored()
	s.OriginRef = "PomeriumSettings global"
	if _, err := store.Put(t.Context(), f.st, store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}, s, 0); err != nil {
		t.Fatal(err)
	}
	page := f.e.Recovery("").Get("/settings?section=logging")
	if page.Find(`form[action^="/settings"]`).Length() != 0 {
		t.Errorf("settings from Kubernetes offer a form")
	}
	if got := page.Find(".notice").Text(); !strings.Contains(got, "Kubernetes") || !strings.Contains(got, "PomeriumSettings global") {
		t.Errorf("notice %q", got)
	}
}
