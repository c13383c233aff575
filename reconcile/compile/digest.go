package compile

import "crypto/sha256"

// Digest identifies record data: the first half of its SHA-256. Records
// whose data have equal digests are taken to be equal; a collision by
// chance is far less likely than a fault of the machine.
type Digest [16]byte

// DigestOf returns the digest of record data.
func DigestOf(data []byte) Digest {
	sum := sha256.Sum256(data)
	return Digest(sum[:16])
}
