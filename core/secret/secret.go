// Package secret encrypts small secrets at rest (the account credentials
// sold from inventory) with AES-256-GCM under a keyring: one current key
// that seals, and any number of previous keys that still open what they
// sealed, so the operator can rotate ACCGEN_ENCRYPTION_KEY without
// re-encrypting the stock first.
//
// Every ciphertext is bound to caller-supplied additional data (the row it
// lives in), so a ciphertext copied to another row fails to open. Each key
// is identified by KeyID, stored next to the ciphertext, so Open knows which
// key to use without trying them all.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length of an encryption key: AES-256.
const KeySize = 32

// HKDF labels. Distinct subkeys keep the AEAD key and the fingerprint key
// independent, so an HMAC never reuses key material of the cipher.
const (
	sealInfo        = "accgen/secret/aes-256-gcm/v1"
	fingerprintInfo = "accgen/secret/fingerprint/v1"
)

// ErrOpen is returned for any ciphertext that does not authenticate: wrong
// key, wrong additional data (a ciphertext moved to another row), or
// tampering. Callers learn nothing more, on purpose.
var ErrOpen = errors.New("secret: ciphertext does not authenticate")

// ErrUnknownKey is returned when a ciphertext names a key the keyring does
// not hold (a previous key was dropped from the configuration too early).
var ErrUnknownKey = errors.New("secret: ciphertext was sealed with a key that is not configured")

// Keyring seals with its current key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	current *key
	byID    map[string]*key
	ordered []*key // current first, then previous in configuration order
}

type key struct {
	id          string
	aead        cipher.AEAD
	fingerprint []byte
}

// KeyID identifies a key without revealing it: the first 8 bytes of its
// SHA-256, in hex.
func KeyID(k []byte) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:8])
}

// NewKeyring builds a keyring that seals with current and also opens what
// any of previous sealed. Every key must be KeySize bytes.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	kr := &Keyring{byID: map[string]*key{}}
	for i, raw := range append([][]byte{current}, previous...) {
		k, err := newKey(raw)
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("current key: %w", err)
			}
			return nil, fmt.Errorf("previous key %d: %w", i, err)
		}
		if _, dup := kr.byID[k.id]; dup {
			continue // the same key listed twice is harmless
		}
		kr.byID[k.id] = k
		kr.ordered = append(kr.ordered, k)
	}
	kr.current = kr.ordered[0]
	return kr, nil
}

func newKey(raw []byte) (*key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("must be %d bytes, got %d", KeySize, len(raw))
	}
	sealKey, err := hkdf.Key(sha256.New, raw, nil, sealInfo, KeySize)
	if err != nil {
		return nil, err
	}
	fpKey, err := hkdf.Key(sha256.New, raw, nil, fingerprintInfo, KeySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	// A fresh random 96-bit nonce per Seal, prepended to the ciphertext: no
	// nonce bookkeeping to get wrong. The 2^32-messages-per-key bound is far
	// beyond any inventory; rotation resets it.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &key{id: KeyID(raw), aead: aead, fingerprint: fpKey}, nil
}

// CurrentKeyID is the id of the key Seal uses.
func (kr *Keyring) CurrentKeyID() string { return kr.current.id }

// Seal encrypts plaintext under the current key, bound to aad, and returns
// the key's id with the ciphertext (nonce ‖ ciphertext ‖ tag).
func (kr *Keyring) Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error) {
	return kr.current.id, kr.current.aead.Seal(nil, nil, plaintext, aad), nil
}

// Open decrypts a ciphertext sealed under keyID with the same aad. It
// returns ErrUnknownKey or ErrOpen on failure.
func (kr *Keyring) Open(keyID string, ciphertext, aad []byte) ([]byte, error) {
	k, ok := kr.byID[keyID]
	if !ok {
		return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, keyID)
	}
	plain, err := k.aead.Open(nil, nil, ciphertext, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Fingerprints returns an HMAC-SHA256 of data under each key of the ring,
// the current key's first. Equal data gives equal fingerprints under one
// key, which lets duplicates be found without decrypting anything; the
// previous keys' fingerprints find duplicates stored before a rotation.
func (kr *Keyring) Fingerprints(data []byte) [][]byte {
	out := make([][]byte, len(kr.ordered))
	for i, k := range kr.ordered {
		m := hmac.New(sha256.New, k.fingerprint)
		m.Write(data)
		out[i] = m.Sum(nil)
	}
	return out
}
