package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// cmdKeygen prints a fresh 32-byte key for ACCGEN_ENCRYPTION_KEY.
func cmdKeygen(stdout io.Writer) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(key))
	return err
}
