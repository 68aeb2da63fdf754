// Package staple keeps OCSP responses for the certificates of https
// listeners and publishes them for stapling in the TLS handshake
// (cert.Cert.SetStaple).
//
// For each certificate whose leaf names an OCSP responder (Authority
// Information Access) a [Manager] runs one goroutine that fetches a
// response over HTTP, checks it ([Verify]: signed by the issuer or its
// delegated responder, for this certificate's serial, status good, within
// its thisUpdate–nextUpdate window), publishes it, and fetches again at
// half of the window ([Next]); failures back off from Options.MinRetry to
// Options.MaxRetry, keeping the last good response until its nextUpdate.
// A response saying the certificate is revoked (or unknown) is never
// stapled, and the staple published before is withdrawn.
package staple
