//go:build linux

package h2

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/tlsidle"
)

// echoOrigin answers each request with its path and the values of its
// X-Marker and User-Agent fields, so that a test can see what the proxy
// decoded.
func echoOrigin(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s", r.URL.Path, r.Header.Get("X-Marker"), r.Header.Get("User-Agent"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// body sends a GET of path on stream id with the fields given after and
// returns the response's body.
func (cl *client) body(t *testing.T, enc *hpack.Encoder, hb *bytes.Buffer, id uint32, path string, extra ...string) string {
	t.Helper()
	blk := block(enc, hb, append([]string{":method", "GET", ":scheme", "https", ":authority", "bench.test", ":path", path}, extra...)...)
	cl.write(headersFrame(nil, id, blk, true))
	var body []byte
	for {
		typ, flags, sid, p, err := cl.frame()
		if err != nil {
			t.Fatalf("stream %d: %v", id, err)
		}
		switch {
		case typ == frameSettings && flags&flagAck == 0:
			cl.write(appendFrameHeader(nil, 0, frameSettings, flagAck, 0))
		case typ == frameGoAway || (typ == frameRSTStream && sid == id):
			t.Fatalf("stream %d: frame type %d, code %d", id, typ, binary.BigEndian.Uint32(p[len(p)-4:]))
		case typ == frameHeaders && sid == id && cl.hstatus != "200":
			t.Fatalf("stream %d: status %q", id, cl.hstatus)
		case typ == frameData && sid == id:
			body = append(body, p...)
		}
		if (typ == frameData || typ == frameHeaders) && sid == id && flags&flagEndStream != 0 {
			return string(body)
		}
	}
}

// parkedConn returns the server's one connection once it is parked, and
// what it keeps: whether its HPACK decoder is packed, its dynamic table's
// entry count, and crypto/tls's read buffers' capacities.
func parkedConn(t *testing.T, ts *testServer) (packed bool, entries, rawInput, hand int) {
	t.Helper()
	cs := ts.s.live.Snapshot()
	if len(cs) != 1 {
		t.Fatalf("%d connections, want 1", len(cs))
	}
	c := cs[0]
	c.spot.Lock()
	defer c.spot.Unlock()
	if !c.parked {
		t.Fatal("the connection is not parked")
	}
	rawInput, hand = tlsidle.Held(c.nc.(*tls.Conn))
	return c.dec.ents == nil, c.dec.n, rawInput, hand
}

// TestParkReleasesBuffersAndWakes: a parked connection over TLS keeps
// neither crypto/tls's read buffers nor its HPACK decoder's ring (the
// dynamic table is packed), and wakes right after: a request whose fields
// are all indexed from before the park is decoded as sent, a PING is
// answered, a request with new fields beside indexed ones is decoded, and
// the table goes on growing and evicting across parks.
func TestParkReleasesBuffersAndWakes(t *testing.T) {
	ts := startServer(t, testOptions{origin: echoOrigin(t)})
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	marker := strings.Repeat("m", 300) + "-1"
	ua := "park-release-test/1.0"
	want := "/before|" + marker + "|" + ua
	if got := cl.body(t, enc, &hb, 1, "/before", "x-marker", marker, "user-agent", ua); got != want {
		t.Fatalf("before the park: %q, want %q", got, want)
	}
	awaitParks(t, ts, 1)
	packed, entries, rawInput, hand := parkedConn(t, ts)
	if !packed || entries < 3 || rawInput != 0 || hand != 0 {
		t.Fatalf("parked: decoder packed %v with %d entries, rawInput %d and hand %d bytes; "+
			"want packed, 3 entries or more, 0 and 0", packed, entries, rawInput, hand)
	}

	// The same fields again: all indexed.
	hb.Reset()
	indexed := block(enc, &hb, ":method", "GET", ":scheme", "https", ":authority", "bench.test", ":path", "/before",
		"x-marker", marker, "user-agent", ua)
	for _, b := range indexed {
		if b&0x80 == 0 {
			t.Fatalf("the block is not all indexed fields: %x", indexed)
		}
	}
	if got := cl.body(t, enc, &hb, 3, "/before", "x-marker", marker, "user-agent", ua); got != want {
		t.Fatalf("after the park, indexed fields: %q, want %q", got, want)
	}

	awaitParks(t, ts, 2)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WritePing(false, [8]byte{8, 7, 6, 5, 4, 3, 2, 1})
	}))
	for {
		typ, flags, _, p, err := cl.frame()
		if err != nil {
			t.Fatalf("no PING ack: %v", err)
		}
		if typ == framePing {
			if flags&flagAck == 0 || binary.BigEndian.Uint64(p) != 0x0807060504030201 {
				t.Fatalf("PING flags %#x payload %x", flags, p)
			}
			break
		}
	}

	// Many parks, each request adding a marker of its own: the table
	// evicts its oldest entries, its ring wraps, and every request decodes.
	for i := range 12 {
		awaitParks(t, ts, int64(3+i))
		if packed, _, rawInput, hand := parkedConn(t, ts); !packed || rawInput != 0 || hand != 0 {
			t.Fatalf("park %d: decoder packed %v, rawInput %d, hand %d", 3+i, packed, rawInput, hand)
		}
		m := strings.Repeat(string(rune('a'+i)), 400)
		id := uint32(5 + 2*i)
		want := fmt.Sprintf("/after-%d|%s|%s", i, m, ua)
		if got := cl.body(t, enc, &hb, id, fmt.Sprintf("/after-%d", i), "x-marker", m, "user-agent", ua); got != want {
			t.Fatalf("stream %d: %q, want %q", id, got, want)
		}
	}
}
