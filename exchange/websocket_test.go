package exchange

import (
	"crypto/sha1"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/listener"
)

// TestBridgedWebSocket: an HTTP/2 WebSocket's upgrade to the backend
// carries one Sec-WebSocket-Key of the stage's own (the client's is
// dropped), and only a 101 with Upgrade: websocket and the Accept of that
// key passes, whose Accept field then goes no further.
func TestBridgedWebSocket(t *testing.T) {
	ln := listener.NewHTTP("192.0.2.1:443", &listener.Settings{Proto: "https"})
	x := &Exchange{Ln: ln, Set: ln.Settings(), Client: &Client{Addr: netip.MustParseAddrPort("198.51.100.7:5000")},
		Req: Request{Method: []byte("GET"), Target: []byte("/chat"), Host: []byte("h"), ContentLength: -1, Minor: 1,
			Upgrade: []byte("websocket"), BridgeWebSocket: true,
			Fields: fields("sec-websocket-version: 13", "sec-websocket-key: the client's", "sec-websocket-protocol: chat")}}
	head := string(x.appendUpstream(nil))
	var keys []string
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
			keys = append(keys, v)
		}
	}
	if len(keys) != 1 || keys[0] != string(x.wsKey[:]) {
		t.Fatalf("keys %q, the exchange's %q, in %q", keys, x.wsKey[:], head)
	}
	if raw, err := base64.StdEncoding.DecodeString(keys[0]); err != nil || len(raw) != 16 {
		t.Fatalf("key %q: %d bytes, %v", keys[0], len(raw), err)
	}
	for _, want := range []string{"sec-websocket-version: 13\r\n", "sec-websocket-protocol: chat\r\n",
		"Connection: upgrade\r\nUpgrade: websocket\r\n"} {
		if !strings.Contains(head, want) {
			t.Errorf("no %q in %q", want, head)
		}
	}
	sum := sha1.Sum([]byte(keys[0] + wsGUID))
	accept := base64.StdEncoding.EncodeToString(sum[:])
	for _, tc := range []struct {
		name   string
		fields []string
		ok     bool
	}{
		{"the key's Accept", []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + accept}, true},
		{"upgrade token in another case, OWS", []string{"Upgrade: WebSocket", "sec-websocket-accept:  " + accept + " "}, true},
		{"no Accept", []string{"Upgrade: websocket"}, false},
		{"another key's Accept", []string{"Upgrade: websocket", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}, false},
		{"two Accepts", []string{"Upgrade: websocket", "Sec-WebSocket-Accept: " + accept, "Sec-WebSocket-Accept: " + accept}, false},
		{"no Upgrade", []string{"Sec-WebSocket-Accept: " + accept}, false},
		{"another protocol", []string{"Upgrade: h2c", "Sec-WebSocket-Accept: " + accept}, false},
	} {
		x.resp.Headers = fields(tc.fields...)
		if got := x.wsAccepted(); got != tc.ok {
			t.Errorf("%s: accepted %v, want %v", tc.name, got, tc.ok)
		}
	}
	kept := dropWSAccept(fields("Upgrade: websocket", "Sec-WebSocket-Accept: "+accept, "Sec-WebSocket-Protocol: chat"))
	if len(kept) != 2 || string(kept[0].Name) != "Upgrade" || string(kept[1].Name) != "Sec-WebSocket-Protocol" {
		t.Errorf("after dropping the Accept: %v", kept)
	}
	// Without the bridge, the client's key goes on and the stage adds none.
	x.Req.BridgeWebSocket = false
	if head := string(x.appendUpstream(nil)); strings.Count(strings.ToLower(head), "sec-websocket-key") != 1 ||
		!strings.Contains(head, "sec-websocket-key: the client's") {
		t.Errorf("an HTTP/1.1 upgrade's head: %q", head)
	}
}
