package session

import (
	"crypto/tls"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/listener"
)

// ServeTLS serves HTTP/1.1 on a TLS connection whose handshake is done, as
// Serve does; served is the certificate the handshake chose, hdr the PROXY
// protocol header read before the handshake (on the raw connection), or
// nil. A request whose Host that certificate does not cover is answered 421
// (the connection stays open), and the listener's or cluster's HSTS header
// goes on every response. Between requests the session waits in a plain
// Read (crypto/tls owns the reads) and, after Env.ParkAfter, parks the
// connection on its raw socket like a plain one: an idle TLS connection
// keeps no goroutine, stack or read buffer, its own or crypto/tls's
// (package internal/tlsidle).
func ServeTLS(env *Env, ln *listener.HTTP, conn *tls.Conn, served *cert.Cert, hdr *proxyproto.Header, release func()) {
	st := conn.ConnectionState()
	s := newSession(env, ln, conn, release)
	s.cl.Cert, s.cl.TLSVersion, s.cl.SNI = served, st.Version, st.ServerName
	serve(s, hdr)
}
