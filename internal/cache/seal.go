package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// MasterKeySize is the length in bytes of a master key.
const MasterKeySize = 32

// MasterKeyEnv is the environment variable that holds the master key, in
// base64. Make one with
//
//	openssl rand -base64 32
const MasterKeyEnv = "TENANTGRAPH_MASTER_KEY"

// sealInfo labels the key derived from the master key for sealing cached
// values, so the master key can serve other purposes without reusing a key.
const sealInfo = "tenantgraph cache seal v1"

// sealVersion is the first byte of every sealed value: the format
// (AES-256-GCM, random 96-bit nonce, key derived with sealInfo).
const sealVersion = 1

// ErrOpen is returned by Sealer.Open when a sealed value cannot be opened:
// it was sealed under another key or master key, or it was altered or cut.
var ErrOpen = errors.New("cache: sealed value cannot be opened (wrong key, or altered)")

// ParseMasterKey decodes a master key from base64 (standard or URL
// alphabet, padded or not; surrounding white space is ignored), as found in
// TENANTGRAPH_MASTER_KEY. The key must decode to exactly MasterKeySize
// bytes. Errors never repeat the input.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("cache: master key is empty")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != MasterKeySize {
			return nil, fmt.Errorf("cache: master key is %d bytes, want %d", len(key), MasterKeySize)
		}
		return key, nil
	}
	return nil, errors.New("cache: master key is not valid base64")
}

// A Sealer encrypts and authenticates values with AES-256-GCM under a key
// derived from a master key, binding each value to a key name given as
// additional data: a value sealed for one key name does not open under
// another. Every Seal draws a fresh random nonce.
//
// A Sealer is safe for concurrent use. It logs and formats as REDACTED.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a master key of MasterKeySize bytes (see
// ParseMasterKey). The sealing key is derived from masterKey with
// HKDF-SHA256; masterKey itself is not kept.
func NewSealer(masterKey []byte) (*Sealer, error) {
	if len(masterKey) != MasterKeySize {
		return nil, fmt.Errorf("cache: master key is %d bytes, want %d", len(masterKey), MasterKeySize)
	}
	key, err := hkdf.Key(sha256.New, masterKey, nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("cache: derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cache: sealing key: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("cache: sealing key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns plaintext encrypted and authenticated for the key name key:
// a version byte, a random nonce, the ciphertext and the GCM tag (29 bytes
// more than plaintext). Any byte string, such as a tenant ID and a secret
// name joined unambiguously, may serve as key.
func (s *Sealer) Seal(plaintext []byte, key string) []byte {
	out := make([]byte, 1, 1+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	return s.aead.Seal(out, nil, plaintext, []byte(key))
}

// Open returns the plaintext of a value sealed by Seal for the same key
// name under the same master key. Otherwise, and if the value was altered,
// it returns ErrOpen.
func (s *Sealer) Open(sealed []byte, key string) ([]byte, error) {
	if len(sealed) < 1+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrOpen
	}
	plaintext, err := s.aead.Open(nil, nil, sealed[1:], []byte(key))
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// String returns a fixed text: a Sealer holds a key.
func (s *Sealer) String() string { return "cache.Sealer{REDACTED}" }

// GoString is like String, for %#v.
func (s *Sealer) GoString() string { return s.String() }

// LogValue implements slog.LogValuer: a Sealer logs as REDACTED.
func (s *Sealer) LogValue() slog.Value { return slog.StringValue("REDACTED") }
