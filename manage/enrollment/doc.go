// Package enrollment makes what Pomerium v0.33 reads when a user enrolls a
// device on an enrollment the console created: the enrollment token, the
// URL of Pomerium's device registration page signed with the cluster's
// shared key, and the base58 form both Pomerium's tokens and its device
// credential ids are written in.
//
// The formats are Pomerium's, byte for byte (its pkg/cryptutil,
// pkg/webauthnutil/enrollment_token.go and internal/urlutil/signed.go):
// a link made here must pass Pomerium's own checks. The package holds no
// state and reaches nothing; it must not know the console's store, roles
// or surfaces.
package enrollment
