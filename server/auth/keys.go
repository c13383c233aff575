package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Names of the store secrets that hold the console's signing keys. The two
// kinds of tokens have separate keys, so that neither can pass for the other
// even if a claim were misread.
const (
	serviceAccountKeyName = "service-account-signing-key"
	recoveryKeyName       = "recovery-signing-key"
)

// consoleKey returns the P-256 key kept in the store secret called name,
// generating it on first use.
func consoleKey(ctx context.Context, st Store, name string) (*ecdsa.PrivateKey, error) {
	der, err := st.Secret(ctx, name, generateKey)
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("secret %s: holds a %T, want an ECDSA P-256 key", name, key)
	}
	if _, err := p256(&ec.PublicKey); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return ec, nil
}

// generateKey makes a P-256 key, as PKCS#8 DER.
func generateKey() ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(key)
}

// parsePublicKey reads the public key of Pomerium's signing key from the
// first key block of a PEM: a public key, or a private key (SEC 1 or
// PKCS#8) as Pomerium's own signing_key holds it.
func parsePublicKey(data []byte) (*ecdsa.PublicKey, error) {
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, errors.New("holds no PUBLIC KEY, EC PRIVATE KEY or PRIVATE KEY block")
		}
		var key any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s block: %w", block.Type, err)
		}
		if priv, ok := key.(*ecdsa.PrivateKey); ok {
			key = &priv.PublicKey
		}
		return p256(key)
	}
}

// p256 checks that key is an ECDSA P-256 public key, the only kind ES256
// verifies with.
func p256(key any) (*ecdsa.PublicKey, error) {
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("is a %T key, want ECDSA P-256 (ES256)", key)
	}
	if pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("is an ECDSA key on %s, want P-256 (ES256)", pub.Curve.Params().Name)
	}
	return pub, nil
}
