// Package certificates is the certificates screen of the web console: the
// key pairs of the key chain with the details of their leaf certificate
// (subject, SANs, expiry), uploading a certificate and its private key as
// PEM, and deleting one that nothing uses. It reads and writes only
// through the use cases (package manage), which check roles (admin to
// write), parse the certificates and refuse to delete a key pair that
// routes or the settings still use; it never shows a private key.
package certificates
