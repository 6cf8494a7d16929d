package secret_test

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core/secret"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, secret.KeySize)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	kr, err := secret.NewKeyring(k)
	require.NoError(t, err)
	require.Equal(t, secret.KeyID(k), kr.CurrentKeyID())
	require.Len(t, kr.CurrentKeyID(), 16)

	plain := []byte("ada@example.com:hunter2")
	id, ct, err := kr.Seal(plain, []byte("row 1"))
	require.NoError(t, err)
	require.Equal(t, kr.CurrentKeyID(), id)
	require.False(t, bytes.Contains(ct, plain), "ciphertext holds no plaintext")

	_, ct2, err := kr.Seal(plain, []byte("row 1"))
	require.NoError(t, err)
	require.NotEqual(t, ct, ct2, "every seal draws a fresh nonce")

	got, err := kr.Open(id, ct, []byte("row 1"))
	require.NoError(t, err)
	require.Equal(t, plain, got)
}

// A ciphertext is bound to its row: the same bytes under other additional
// data (another row id or product) do not open, nor does a flipped bit.
func TestOpenRefusesOtherRowAndTampering(t *testing.T) {
	t.Parallel()
	kr, err := secret.NewKeyring(newKey(t))
	require.NoError(t, err)
	id, ct, err := kr.Seal([]byte("secret"), []byte("row 1"))
	require.NoError(t, err)

	_, err = kr.Open(id, ct, []byte("row 2"))
	require.ErrorIs(t, err, secret.ErrOpen)

	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1
	_, err = kr.Open(id, tampered, []byte("row 1"))
	require.ErrorIs(t, err, secret.ErrOpen)

	_, err = kr.Open(id, ct[:10], []byte("row 1"))
	require.ErrorIs(t, err, secret.ErrOpen)
}

func TestOpenRefusesWrongKey(t *testing.T) {
	t.Parallel()
	a, err := secret.NewKeyring(newKey(t))
	require.NoError(t, err)
	b, err := secret.NewKeyring(newKey(t))
	require.NoError(t, err)
	id, ct, err := a.Seal([]byte("secret"), nil)
	require.NoError(t, err)

	_, err = b.Open(id, ct, nil)
	require.ErrorIs(t, err, secret.ErrUnknownKey, "b does not hold a's key")
	_, err = b.Open(b.CurrentKeyID(), ct, nil)
	require.ErrorIs(t, err, secret.ErrOpen, "claiming b's key id does not help")
}

// After a rotation the old key, listed as previous, still opens what it
// sealed, while new seals use the new key.
func TestPreviousKeyStillOpens(t *testing.T) {
	t.Parallel()
	oldKey, newKeyBytes := newKey(t), newKey(t)
	before, err := secret.NewKeyring(oldKey)
	require.NoError(t, err)
	id, ct, err := before.Seal([]byte("sold before the rotation"), []byte("aad"))
	require.NoError(t, err)

	after, err := secret.NewKeyring(newKeyBytes, oldKey)
	require.NoError(t, err)
	require.Equal(t, secret.KeyID(newKeyBytes), after.CurrentKeyID())
	got, err := after.Open(id, ct, []byte("aad"))
	require.NoError(t, err)
	require.Equal(t, "sold before the rotation", string(got))

	newID, _, err := after.Seal([]byte("x"), nil)
	require.NoError(t, err)
	require.Equal(t, secret.KeyID(newKeyBytes), newID)
}

func TestFingerprints(t *testing.T) {
	t.Parallel()
	oldKey, cur := newKey(t), newKey(t)
	kr, err := secret.NewKeyring(cur, oldKey)
	require.NoError(t, err)
	old, err := secret.NewKeyring(oldKey)
	require.NoError(t, err)

	fps := kr.Fingerprints([]byte("line"))
	require.Len(t, fps, 2)
	require.Len(t, fps[0], 32)
	require.Equal(t, fps, kr.Fingerprints([]byte("line")), "deterministic")
	require.NotEqual(t, fps[0], kr.Fingerprints([]byte("line2"))[0])
	require.NotEqual(t, fps[0], fps[1], "keyed: each key gives its own fingerprint")
	require.Equal(t, old.Fingerprints([]byte("line"))[0], fps[1], "previous keys' fingerprints match what they stored")
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	t.Parallel()
	_, err := secret.NewKeyring(make([]byte, 16))
	require.ErrorContains(t, err, "current key")
	_, err = secret.NewKeyring(newKey(t), make([]byte, 31))
	require.ErrorContains(t, err, "previous key 1")
	k := newKey(t)
	kr, err := secret.NewKeyring(k, k)
	require.NoError(t, err, "a key repeated as previous is tolerated")
	require.Len(t, kr.Fingerprints(nil), 1)
}
