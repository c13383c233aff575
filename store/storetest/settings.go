package storetest

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func newSettings(logLevel string) *store.Settings {
	return &store.Settings{Spec: &configpb.Settings{LogLevel: proto.String(logLevel)}}
}

func testSettings(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "EmptyBeforeFirstWrite", newEnv, func(t *testing.T, f *fixture) {
		s := get[*store.Settings](f, store.SettingsID)
		if s.Version != 0 || (s.Spec != nil && proto.Size(s.Spec) != 0) {
			t.Errorf("settings before any write = %+v, want empty at version 0", s)
		}
	})
	subtest(t, "FixedIDInGlobal", newEnv, func(t *testing.T, f *fixture) {
		ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
		in := newSettings("debug")
		in.NamespaceID = ns.ID
		s := put(f, in)
		if s.ID != store.SettingsID || s.NamespaceID != store.GlobalNamespaceID || s.Version == 0 {
			t.Errorf("written settings = %+v, want id %s in the global namespace with a version", s.ObjectMeta, store.SettingsID)
		}
		got := get[*store.Settings](f, store.SettingsID)
		if got.Spec.GetLogLevel() != "debug" || got.Version != s.Version {
			t.Errorf("read settings = %+v, want log level debug at version %d", got, s.Version)
		}
		st, err := f.s.Load(f.ctx)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		assertEqual(t, "loaded settings", got, st.Settings)

		again := newSettings("info")
		again.ID = store.SettingsID
		if s2 := put(f, again); s2.Version <= s.Version {
			t.Errorf("second write of settings got version %d, want > %d", s2.Version, s.Version)
		}
	})
	subtest(t, "OtherIDRefused", newEnv, func(t *testing.T, f *fixture) {
		for _, id := range []string{uuid.NewString(), store.GlobalNamespaceID, "settings"} {
			s := newSettings("debug")
			s.ID = id
			f.rejectsPut(s, store.CodeInvalid, "id")
		}
	})
	subtest(t, "CannotBeDeleted", newEnv, func(t *testing.T, f *fixture) {
		f.rejectsDelete(store.DeleteOp{Kind: store.KindSettings, ID: store.SettingsID}, store.CodeFailedPrecondition, "")
		put(f, newSettings("debug"))
		f.rejectsDelete(store.DeleteOp{Kind: store.KindSettings, ID: store.SettingsID}, store.CodeFailedPrecondition, "")
	})
}
