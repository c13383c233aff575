package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// EncryptionKeySize is the size of database_encryption_key after base64 decoding.
const EncryptionKeySize = 32

// keyCheckPlaintext is sealed once per database; opening with another key
// fails to open it, which tells a wrong key from corrupt data at start-up
// instead of at the first read of a secret.
const keyCheckPlaintext = "pomerium-console key check v1"

// Sealer encrypts secrets at rest with AES-256-GCM. The associated data binds
// each ciphertext to the row it belongs to, so a ciphertext copied into
// another row does not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != EncryptionKeySize {
		return nil, fmt.Errorf("database_encryption_key: is %d bytes, want %d", len(key), EncryptionKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("database_encryption_key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("database_encryption_key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to ad.
func (s *Sealer) Seal(plaintext []byte, ad string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		// crypto/rand.Read never returns an error on supported platforms.
		panic(err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(ad))
}

// Open decrypts a ciphertext made by Seal with the same ad.
func (s *Sealer) Open(ciphertext []byte, ad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(ciphertext) < n {
		return nil, errors.New("sealed value is truncated")
	}
	plain, err := s.aead.Open(nil, ciphertext[:n], ciphertext[n:], []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	return plain, nil
}

// KeyCheck returns a value to store beside the data; CheckKey verifies it.
func (s *Sealer) KeyCheck() []byte { return s.Seal([]byte(keyCheckPlaintext), "key-check") }

// CheckKey returns ErrWrongEncryptionKey unless check was made by KeyCheck
// with the same key.
func (s *Sealer) CheckKey(check []byte) error {
	plain, err := s.Open(check, "key-check")
	if err != nil || string(plain) != keyCheckPlaintext {
		return ErrWrongEncryptionKey
	}
	return nil
}

// SecretAD is the associated data of an object's secret.
func SecretAD(k Kind, id string) string { return string(k) + "/" + id }
