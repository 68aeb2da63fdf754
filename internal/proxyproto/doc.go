// Package proxyproto reads and writes PROXY protocol headers, versions 1
// (text) and 2 (binary), as specified by HAProxy's "The PROXY protocol"
// (revision 2020/03/05).
//
// The parsers work in place on a byte slice: [Parse] fills a caller-owned
// [Header] whose TLVs alias the input, and allocates nothing for version 2
// headers (version 1 headers, a legacy text form, allocate their two
// addresses). [Read] reads exactly one header from a connection and not a
// byte more, so the connection can then be handed on as it is: to a TLS
// handshake, to an HTTP session, or to a splice-based TCP relay that needs
// the bare *net.TCPConn. [AppendV2] writes the header a proxy sends to its
// backends.
//
// Sluice does not use github.com/pires/go-proxyproto at run time: that
// library wraps connections (which would defeat splice on the TCP path) and
// reads through a bufio.Reader (which reads past the header and allocates
// per connection). It serves as the reference of a differential test.
package proxyproto
