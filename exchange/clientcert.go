package exchange

import "crypto/tls"

// Client certificates: on an https listener with client_auth, the
// verified certificate of the client's connection is passed to the
// backend in two fields, X-Client-Cert-Subject (its subject, RFC 4514 as
// crypto/x509 prints it) and X-Client-Cert-Fingerprint (SHA-256 of its
// DER, lower-case hex). The header table replaces both (requestFate):
// fields of those names that a client sends are never forwarded, on any
// listener, so a backend can trust them.

// Names of the fields.
var (
	nameClientCertSubject     = []byte("X-Client-Cert-Subject")
	nameClientCertFingerprint = []byte("X-Client-Cert-Fingerprint")
)

// clientIdentity is what the connection under a TLS connection offers
// when the listener verified a client certificate (package handshake's
// connection does).
type clientIdentity interface {
	ClientCert() (subject, fingerprint []byte)
}

// clientCert returns the subject and fingerprint of the client's verified
// certificate, or nils (a plain connection, or no certificate). It
// allocates nothing.
func (x *Exchange) clientCert() (subject, fingerprint []byte) {
	if x.Client.Cert == nil {
		return nil, nil
	}
	tc, ok := x.Client.Conn.(*tls.Conn)
	if !ok {
		return nil, nil
	}
	id, ok := tc.NetConn().(clientIdentity)
	if !ok {
		return nil, nil
	}
	return id.ClientCert()
}

// appendClientCert writes the client certificate fields of an HTTP/1.1
// request head, when there is a certificate.
func (x *Exchange) appendClientCert(out []byte) []byte {
	subject, fp := x.clientCert()
	if fp == nil {
		return out
	}
	out = appendField(out, nameClientCertSubject, subject)
	return appendField(out, nameClientCertFingerprint, fp)
}

// clientCertFields sets the client certificate fields of a request to an HTTP/2 backend.
func (x *Exchange) clientCertFields(set func(name, value string)) {
	if subject, fp := x.clientCert(); fp != nil {
		set(string(nameClientCertSubject), string(subject))
		set(string(nameClientCertFingerprint), string(fp))
	}
}
