package exchange

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// WebSocket bridged from HTTP/2 (RFC 8441): an extended CONNECT with
// :protocol websocket has no handshake key, so the HTTP/2 front hands the
// stage a GET with Upgrade: websocket and Request.BridgeWebSocket set, and
// the stage makes the HTTP/1.1 upgrade valid itself: a fresh
// Sec-WebSocket-Key goes to the backend (a key the client sent is not
// forwarded), and the backend's 101 must carry Upgrade: websocket and the
// Sec-WebSocket-Accept of that key (RFC 6455 §4.2.2), else the client gets
// 502; so does a 2xx answer (one that ignored the upgrade), which the
// HTTP/2 client would take for an open tunnel; other statuses go to the
// client as they are. The Accept field is the proxy's business and goes
// no further; the front answers the stream 200 (RFC 8441 §5).
// Sec-WebSocket-Version, -Protocol and -Extensions go both ways as any
// field. Everything else (the decision, the tunnel) is an HTTP/1.1
// upgrade's.

// wsGUID is RFC 6455's handshake GUID.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsKeyLen is the length of a Sec-WebSocket-Key: 16 bytes in base64.
const wsKeyLen = 24

var (
	nameWSKey    = []byte("Sec-WebSocket-Key")
	tokWebSocket = []byte("websocket")
)

var (
	errWSAccept      = errors.New("the backend's 101 has no Sec-WebSocket-Accept of the key sent, or no Upgrade: websocket")
	errWSNotUpgraded = errors.New("the backend answered a WebSocket upgrade with a 2xx, not 101")
)

// newWSKey makes the exchange's Sec-WebSocket-Key: 16 random bytes.
func (x *Exchange) newWSKey() {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand does not fail
	base64.StdEncoding.Encode(x.wsKey[:], raw[:])
}

// appendWSKey appends the Sec-WebSocket-Key field of a bridged upgrade.
func (x *Exchange) appendWSKey(out []byte) []byte {
	x.newWSKey()
	return appendField(out, nameWSKey, x.wsKey[:])
}

// wsAccepted checks the backend's 101 to a bridged upgrade: Upgrade:
// websocket and the Sec-WebSocket-Accept of the key sent.
func (x *Exchange) wsAccepted() bool {
	fs := x.resp.Headers
	up := upgradeValue(fs)
	if up == nil || !h1.ListContains(up, tokWebSocket) {
		return false
	}
	h := sha1.New()
	h.Write(x.wsKey[:])
	h.Write([]byte(wsGUID))
	var sum [sha1.Size]byte
	var want [28]byte
	base64.StdEncoding.Encode(want[:], h.Sum(sum[:0]))
	n := 0
	for i := range fs {
		if h1.EqualFold(fs[i].Name, "sec-websocket-accept") {
			n++
			if string(h1.TrimOWS(fs[i].Value)) != string(want[:]) {
				return false
			}
		}
	}
	return n == 1
}

// isWSKey reports the Sec-WebSocket-Key field name.
func isWSKey(name []byte) bool { return h1.EqualFold(name, "sec-websocket-key") }

// dropWSAccept takes the Sec-WebSocket-Accept field out of a bridged
// upgrade's head: the HTTP/2 client has no key to check it against.
func dropWSAccept(fs []h1.Header) []h1.Header {
	out := fs[:0]
	for _, f := range fs {
		if !h1.EqualFold(f.Name, "sec-websocket-accept") {
			out = append(out, f)
		}
	}
	return out
}
