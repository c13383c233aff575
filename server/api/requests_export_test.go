package api

// The request checks of SetSettings and CreateKeyPair, for the fuzz tests
// of package api_test.
var (
	SettingsFromRequest = settingsFromRequest
	KeyPairFromRequest  = keyPairFromRequest
)
