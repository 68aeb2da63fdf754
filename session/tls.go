package session

import (
	"crypto/tls"

	"github.com/sluiceproxy/sluice/cert"
)

// ServeTLS serves HTTP/1.1 on a TLS connection whose handshake is done, as
// Serve does; served is the certificate the handshake chose. A request whose
// Host that certificate does not cover is answered 421 (the connection stays
// open), and the listener's or cluster's HSTS header goes on every response.
// A *tls.Conn offers no raw descriptor, so between requests the session
// waits in a plain Read holding its buffer.
func ServeTLS(env *Env, ln *Listener, conn *tls.Conn, served *cert.Cert) {
	serve(&Session{env: env, ln: ln, conn: conn, first: true, tlsCert: served})
}
