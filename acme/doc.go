// Package acme obtains and renews certificates from an ACME certificate
// authority (RFC 8555; Let's Encrypt by default) for the host names of
// https listeners that ask for it (order.ListenerTLS.ACME).
//
// The protocol is spoken by the lego client library; this package owns
// what Sluice decides around it:
//   - [Schedule]: when to (re)new a certificate: at once without one, at
//     two thirds of its lifetime, and after a failure with a backoff that
//     doubles from Policy.MinRetry to Policy.MaxRetry. A pure function of
//     a [Status] (no clock inside), tested without sleeping;
//   - [Challenges]: the answers to the CA's validation requests, which the
//     proxy's listeners give: HTTP-01 tokens under
//     /.well-known/acme-challenge/ on http listeners (package exchange),
//     TLS-ALPN-01 certificates in https handshakes offering "acme-tls/1"
//     (package handshake);
//   - [Store]: the account key and the certificates on disk (folder 0700,
//     files 0600), reused at restart;
//   - [Manager]: one goroutine per host name, owned by the proxy, which
//     loads the stored certificate, obtains or renews it when the
//     schedule says, and reports each outcome; the proxy publishes the
//     certificates through its certificate orders.
package acme
