package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// WebSocket through both fronts from one table: HTTP/1.1's Upgrade
// handshake, and HTTP/2's extended CONNECT (RFC 8441), which the proxy
// bridges to an HTTP/1.1 upgrade of its own making. The client side is
// written here (RFC 6455 frames by hand; HTTP/2 frames with x/net's
// Framer and HPACK encoder); the backend is a real WebSocket server
// (github.com/coder/websocket, wsEchoOrigin).

// wsStream is the byte stream of an open WebSocket, whatever carries it.
type wsStream interface {
	io.ReadWriter
	CloseWrite() error // the client's half-close
}

// wsDial opens a WebSocket for host and path through the front: it
// returns the handshake's status (101 over HTTP/1.1 and 200 over HTTP/2
// mean open) and, when open, the stream.
func (f *front) wsDial(t *testing.T, host, path string) (int, wsStream) {
	t.Helper()
	if f.https {
		return wsDialH2(t, f.FrontAddr, host, path, "websocket")
	}
	c, err := net.Dial("tcp", f.FrontAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n", path, host, key)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		return resp.StatusCode, nil
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != wsAccept(key) {
		t.Fatalf("Sec-WebSocket-Accept %q", got)
	}
	return 101, &h1Stream{Reader: br, c: c.(*net.TCPConn)}
}

type h1Stream struct {
	*bufio.Reader
	c *net.TCPConn
}

func (s *h1Stream) Write(p []byte) (int, error) { return s.c.Write(p) }
func (s *h1Stream) CloseWrite() error           { return s.c.CloseWrite() }

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// h2Stream is stream 1 of a client HTTP/2 connection carrying a tunnel:
// writes go as DATA within the proxy's windows (waiting for its
// WINDOW_UPDATEs), reads take DATA (window given back at once),
// END_STREAM reads as io.EOF, RST_STREAM as an error.
type h2Stream struct {
	fr    *http2.Framer
	enc   *hpack.Encoder // the connection's, writing to hb
	hb    *bytes.Buffer
	c     net.Conn
	buf   []byte
	ended bool
	reset http2.ErrCode
	head  []hpack.HeaderField // the regular fields of the 200
	// What the proxy lets the client send: on the connection, on stream 1.
	connWin, strWin int64
}

func (s *h2Stream) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n := int(min(int64(len(p)-done), 16384, s.connWin, s.strWin))
		if n <= 0 {
			if err := s.next(); err != nil { // a WINDOW_UPDATE, one hopes
				return done, err
			}
			continue
		}
		if err := s.fr.WriteData(1, false, p[done:done+n]); err != nil {
			return done, err
		}
		s.connWin -= int64(n)
		s.strWin -= int64(n)
		done += n
	}
	return done, nil
}

func (s *h2Stream) CloseWrite() error { return s.fr.WriteData(1, true, nil) }

func (s *h2Stream) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.ended {
			return 0, io.EOF
		}
		if err := s.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// next reads one frame and takes it in: DATA of stream 1 is kept for Read
// (its window given back at once), windows grow, SETTINGS and PING are
// acknowledged; RST_STREAM of stream 1 and GOAWAY are errors.
func (s *h2Stream) next() error {
	fr, err := s.fr.ReadFrame()
	if err != nil {
		return err
	}
	switch fr := fr.(type) {
	case *http2.DataFrame:
		if n := uint32(len(fr.Data())); n > 0 {
			s.fr.WriteWindowUpdate(0, n)
			s.fr.WriteWindowUpdate(fr.StreamID, n)
		}
		if fr.StreamID == 1 {
			s.buf = append(s.buf, fr.Data()...)
			s.ended = s.ended || fr.StreamEnded()
		}
	case *http2.WindowUpdateFrame:
		s.window(fr)
	case *http2.RSTStreamFrame:
		if fr.StreamID == 1 {
			s.reset = fr.ErrCode
			return fmt.Errorf("RST_STREAM %v", fr.ErrCode)
		}
	case *http2.GoAwayFrame:
		return fmt.Errorf("GOAWAY %v", fr.ErrCode)
	case *http2.SettingsFrame:
		if !fr.IsAck() {
			s.fr.WriteSettingsAck()
		}
	case *http2.PingFrame:
		if !fr.IsAck() {
			s.fr.WritePing(true, fr.Data)
		}
	}
	return nil
}

// window takes in a WINDOW_UPDATE of the connection or of stream 1.
func (s *h2Stream) window(f *http2.WindowUpdateFrame) {
	switch f.StreamID {
	case 0:
		s.connWin += int64(f.Increment)
	case 1:
		s.strWin += int64(f.Increment)
	}
}

// wsDialH2 opens an HTTP/2 connection to addr and sends an extended
// CONNECT for host and path with :protocol proto (RFC 8441 §4), after
// checking that the server's SETTINGS allow it. It returns the response's
// status (0 when the stream was reset) and, on 200, the stream.
func wsDialH2(t *testing.T, addr, host, path, proto string, fields ...string) (int, wsStream) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: host, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.WriteSettings()
	first, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := first.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v", first)
	}
	if v, ok := sf.Value(http2.SettingEnableConnectProtocol); !ok || v != 1 {
		t.Fatalf("SETTINGS_ENABLE_CONNECT_PROTOCOL %d (sent: %v)", v, ok)
	}
	fr.WriteSettingsAck()
	s := &h2Stream{fr: fr, c: c, hb: new(bytes.Buffer), connWin: 65535, strWin: 65535}
	s.enc = hpack.NewEncoder(s.hb)
	if v, ok := sf.Value(http2.SettingInitialWindowSize); ok {
		s.strWin = int64(v)
	}
	hb, enc := s.hb, s.enc
	all := append([]string{":method", "CONNECT", ":protocol", proto, ":scheme", "https", ":path", path,
		":authority", host, "sec-websocket-version", "13"}, fields...)
	for i := 0; i+1 < len(all); i += 2 {
		if all[i+1] != "" || !strings.HasPrefix(all[i], ":") {
			enc.WriteField(hpack.HeaderField{Name: all[i], Value: all[i+1]})
		}
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("awaiting the response: %v", err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			st := 0
			fmt.Sscan(f.PseudoValue("status"), &st)
			if st != 200 {
				return st, nil
			}
			if f.StreamEnded() {
				t.Fatal("200 with END_STREAM")
			}
			s.head = f.RegularFields()
			return 200, s
		case *http2.WindowUpdateFrame:
			s.window(f)
		case *http2.RSTStreamFrame:
			return 0, &h2Stream{reset: f.ErrCode}
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY %v", f.ErrCode)
		}
	}
}

// wsWrite writes one masked client frame (RFC 6455 §5.2) of opcode op.
func wsWrite(w io.Writer, op byte, payload []byte) error {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x80|127), uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	for i, ch := range payload {
		b = append(b, ch^mask[i%4])
	}
	_, err := w.Write(b)
	return err
}

// wsRead reads one unmasked server frame.
func wsRead(r io.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("masked server frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		_, err = io.ReadFull(r, e[:])
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		_, err = io.ReadFull(r, e[:])
		n = binary.BigEndian.Uint64(e[:])
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return h[0] & 0x0f, payload, err
}

// TestWebSocketThroughBothFronts: the same WebSocket, decided the same
// way, through HTTP/1.1's Upgrade and HTTP/2's extended CONNECT: echoed
// messages of assorted sizes (past the client's initial window over
// HTTP/2), the close handshake and the end of the stream; a deny frontend
// (403), no frontend (404) and a backend that refuses the upgrade (its
// status relayed) reach no tunnel. The access log line says the status
// the client got: 101 over HTTP/1.1, 200 over HTTP/2 (not the backend's
// 101).
func TestWebSocketThroughBothFronts(t *testing.T) {
	var logs *syncBuffer
	withLog := func(t *testing.T, c *proxy.Config) {
		logs = &syncBuffer{}
		al, err := accesslog.New(accesslog.Config{Output: logs, Format: accesslog.JSON})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { al.Close() })
		c.AccessLog = al
	}
	eachFrontWith(t, withLog, func(t *testing.T, f *front) {
		o := wsEchoOrigin(t)
		f.route("ws.test", o.Listener.Addr().String())
		f.frontend(order.HTTPFrontend{Hostname: "deny.test", Deny: true})
		plain := newRawOrigin(t, func(c net.Conn) {
			if _, err := readHead(bufio.NewReader(c)); err == nil {
				io.WriteString(c, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")
			}
		})
		f.route("no.test", plain.Addr)
		open := map[bool]int{false: 101, true: 200}[f.https]

		for _, tc := range []struct {
			host string
			want int
		}{{"deny.test", 403}, {"none.test", 404}, {"no.test", 426}} {
			if st, _ := f.wsDial(t, tc.host, "/"); st != tc.want {
				t.Errorf("%s: status %d, want %d", tc.host, st, tc.want)
			}
		}

		st, ws := f.wsDial(t, "ws.test", "/echo")
		if st != open {
			t.Fatalf("status %d, want %d", st, open)
		}
		for i, size := range []int{5, 1000, 100_000} {
			msg := bytes.Repeat([]byte{byte('a' + i)}, size)
			if err := wsWrite(ws, 0x2, msg); err != nil {
				t.Fatal(err)
			}
			op, got, err := wsRead(ws)
			if err != nil || op != 0x2 || !bytes.Equal(got, msg) {
				t.Fatalf("message %d (%d bytes): opcode %d, %d bytes back, %v", i, size, op, len(got), err)
			}
		}
		if got := f.Must(order.Status{}).Content.Status.ActiveTunnels; got != 1 {
			t.Errorf("active tunnels %d, want 1", got)
		}
		// The close handshake, then the client's half-close: the
		// backend closes and the stream (or connection) ends cleanly.
		if err := wsWrite(ws, 0x8, []byte{0x03, 0xe8}); err != nil {
			t.Fatal(err)
		}
		if op, _, err := wsRead(ws); err != nil || op != 0x8 {
			t.Fatalf("close answered with opcode %d, %v", op, err)
		}
		if err := ws.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, ws); err != nil || n != 0 {
			t.Fatalf("after close: %d bytes, %v", n, err)
		}
		eventually(t, ioTimeout, "the tunnel to end", func() bool {
			return f.Must(order.Status{}).Content.Status.ActiveTunnels == 0
		})
		var line struct {
			Host   string `json:"host"`
			Status int    `json:"status"`
		}
		eventually(t, ioTimeout, "the tunnel's access log line", func() bool {
			for l := range strings.Lines(logs.String()) {
				if json.Unmarshal([]byte(l), &line) == nil && line.Host == "ws.test" {
					return true
				}
			}
			return false
		})
		if line.Status != open {
			t.Errorf("access log status %d, want %d (what the client got)", line.Status, open)
		}
	})
}

// TestWebSocketOverH2Bridge: what only the HTTP/2 side has. The proxy's
// HTTP/1.1 upgrade carries its own Sec-WebSocket-Key (not the client's),
// the version and subprotocol fields; a 101 whose Sec-WebSocket-Accept is
// not that key's is answered 502, and so is a 200 (a backend that ignored
// the upgrade); one to a cluster of h2c backends gets 501; an extended CONNECT of another protocol
// gets 501; :protocol on a GET, or an extended CONNECT without :path, is
// malformed (RST_STREAM(PROTOCOL_ERROR)); a client's RST_STREAM closes the
// backend connection.
func TestWebSocketOverH2Bridge(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) { l.Certificate = certOf(ca.Leaf(frontNames, testcert.Options{})) })
	heads := make(chan []string, 4)
	closed := make(chan struct{}, 4)
	bad := newRawOrigin(t, func(c net.Conn) {
		head, err := readHead(bufio.NewReader(c))
		if err != nil {
			return
		}
		heads <- head
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+wsAccept("not the key")+"\r\n\r\n")
	})
	th.routeTLS("bad.test", "c-bad", bad.Addr)
	good := newRawOrigin(t, func(c net.Conn) {
		head, err := readHead(bufio.NewReader(c))
		if err != nil {
			return
		}
		key := ""
		for _, l := range head {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
				key = strings.TrimSpace(v)
			}
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+wsAccept(key)+"\r\n\r\n")
		io.Copy(io.Discard, c) // until the proxy closes it
		closed <- struct{}{}
	})
	th.routeTLS("good.test", "c-good", good.Addr)

	st, _ := wsDialH2(t, th.TLSAddr, "bad.test", "/chat?room=1", "websocket",
		"sec-websocket-protocol", "chat", "sec-websocket-key", "client's own key")
	if st != 502 {
		t.Errorf("a wrong Sec-WebSocket-Accept: status %d, want 502", st)
	}
	var head []string
	select {
	case head = <-heads:
	case <-time.After(10 * time.Second):
		t.Fatal("no upgrade reached the backend")
	}
	var keys, conn, up, ver, proto int
	for _, l := range head {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "sec-websocket-key":
			keys++
			if raw, err := base64.StdEncoding.DecodeString(v); err != nil || len(raw) != 16 {
				t.Errorf("Sec-WebSocket-Key %q", v)
			}
		case "connection":
			conn += map[bool]int{true: 1}[strings.EqualFold(v, "upgrade")]
		case "upgrade":
			up += map[bool]int{true: 1}[v == "websocket"]
		case "sec-websocket-version":
			ver += map[bool]int{true: 1}[v == "13"]
		case "sec-websocket-protocol":
			proto += map[bool]int{true: 1}[v == "chat"]
		}
	}
	if head[0] != "GET /chat?room=1 HTTP/1.1" || keys != 1 || conn != 1 || up != 1 || ver != 1 || proto != 1 {
		t.Errorf("upgrade sent to the backend: %q", head)
	}

	// A backend that ignores the upgrade and answers 200: the client,
	// which would take a 200 for an open tunnel, gets 502.
	ignored := newRawOrigin(t, func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
		}
	})
	th.routeTLS("ignored.test", "c-ignored", ignored.Addr)
	if st, _ := wsDialH2(t, th.TLSAddr, "ignored.test", "/", "websocket"); st != 502 {
		t.Errorf("a 200 to the upgrade: status %d, want 502", st)
	}
	if n := ignored.Accepted.Load(); n != 1 {
		t.Errorf("the upgrade reached the backend %d times, want 1", n)
	}

	// A cluster of h2c backends has no upgrade to offer: 501, and its
	// backend hears nothing.
	h2cOrigin := newRawOrigin(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "c-h2c", HTTP2: true}})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "h2c.test", ClusterID: "c-h2c"}})
	th.addBackend("c-h2c", "b0", h2cOrigin.Addr)
	if st, _ := wsDialH2(t, th.TLSAddr, "h2c.test", "/", "websocket"); st != 501 {
		t.Errorf("to an h2c cluster: status %d, want 501", st)
	}
	if n := h2cOrigin.Accepted.Load(); n != 0 {
		t.Errorf("the h2c backend got %d connections", n)
	}

	if st, _ := wsDialH2(t, th.TLSAddr, "good.test", "/", "bogus"); st != 501 {
		t.Errorf(":protocol bogus: status %d, want 501", st)
	}
	if st, s := wsDialH2(t, th.TLSAddr, "good.test", "", "websocket"); st != 0 || s.(*h2Stream).reset != http2.ErrCodeProtocol {
		t.Errorf("no :path: status %d", st)
	}

	// The client resets an open tunnel: the backend connection closes.
	// Before, its 200 carries none of the 101's connection fields, nor
	// the Sec-WebSocket-Accept of the proxy's key.
	st, ws := wsDialH2(t, th.TLSAddr, "good.test", "/", "websocket")
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	for _, f := range ws.(*h2Stream).head {
		switch f.Name {
		case "connection", "upgrade", "sec-websocket-accept":
			t.Errorf("the 200 has %s: %s", f.Name, f.Value)
		}
	}
	if len(ws.(*h2Stream).head) == 0 {
		t.Error("the 200 has no fields (sluice-request-id expected)")
	}
	if err := ws.(*h2Stream).fr.WriteRSTStream(1, http2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend connection outlived the client's RST_STREAM")
	}
}

// wsRawOrigin is a backend that accepts any WebSocket upgrade (the
// Sec-WebSocket-Accept of the key it got) and then hands the connection
// to after.
func wsRawOrigin(t *testing.T, after func(c net.Conn, br *bufio.Reader)) *rawOrigin {
	return newRawOrigin(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		head, err := readHead(br)
		if err != nil {
			return
		}
		key := ""
		for _, l := range head {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
				key = strings.TrimSpace(v)
			}
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+wsAccept(key)+"\r\n\r\n")
		after(c, br)
	})
}

// h2Quiet checks that the connection of s is alive and that stream 1 was
// not reset: a PING is answered with no RST_STREAM before its ack.
func h2Quiet(t *testing.T, s *h2Stream) {
	t.Helper()
	data := [8]byte{'q', 'u', 'i', 'e', 't'}
	if err := s.fr.WritePing(false, data); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := s.fr.ReadFrame()
		if err != nil {
			t.Fatalf("awaiting the PING's ack: %v", err)
		}
		switch f := f.(type) {
		case *http2.PingFrame:
			if f.IsAck() && f.Data == data {
				return
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("stream %d reset (%v) after a clean end", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY %v", f.ErrCode)
		}
	}
}

// TestWebSocketOverH2Ends: a tunnel ends cleanly from either side, with
// END_STREAM and no RST_STREAM. The client half-closes first: the backend
// sees its end of stream, may still answer, and its close ends the
// stream. The backend closes first: the client reads to END_STREAM, then
// ends its side. Either way the tunnel is gone and the connection lives.
func TestWebSocketOverH2Ends(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) { l.Certificate = certOf(ca.Leaf(frontNames, testcert.Options{})) })
	echoThenBye := wsRawOrigin(t, func(c net.Conn, br *bufio.Reader) {
		io.Copy(c, br) // echo until the client's end of stream
		io.WriteString(c, "bye")
	})
	th.routeTLS("client-first.test", "c-client", echoThenBye.Addr)
	byeFirst := wsRawOrigin(t, func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, "bye")
	})
	th.routeTLS("backend-first.test", "c-backend", byeFirst.Addr)
	sink := wsRawOrigin(t, func(c net.Conn, br *bufio.Reader) {
		h := sha256.New()
		n, _ := io.Copy(h, br) // until the client's end of stream
		fmt.Fprintf(c, "%d %x", n, h.Sum(nil))
	})
	th.routeTLS("sink.test", "c-sink", sink.Addr)
	tunnels := func() int64 { return th.Must(order.Status{}).Content.Status.ActiveTunnels }

	t.Run("client first", func(t *testing.T) {
		st, ws := wsDialH2(t, th.TLSAddr, "client-first.test", "/", "websocket")
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		if _, err := ws.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if err := ws.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(ws)
		if err != nil || string(got) != "hellobye" {
			t.Fatalf("read %q, %v; want \"hellobye\" then END_STREAM", got, err)
		}
		eventually(t, ioTimeout, "the tunnel to end", func() bool { return tunnels() == 0 })
		h2Quiet(t, ws.(*h2Stream))
	})
	t.Run("bulk upload", func(t *testing.T) {
		// Past the proxy's windows (1 MiB): the client waits for the
		// WINDOW_UPDATEs the proxy sends as the backend takes the bytes.
		st, ws := wsDialH2(t, th.TLSAddr, "sink.test", "/", "websocket")
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		data := make([]byte, 3<<20)
		rand.Read(data)
		if n, err := ws.Write(data); n != len(data) || err != nil {
			t.Fatalf("wrote %d bytes: %v", n, err)
		}
		if err := ws.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(ws)
		if want := fmt.Sprintf("%d %x", len(data), sha256.Sum256(data)); err != nil || string(got) != want {
			t.Fatalf("the backend got %q, %v; want %q", got, err, want)
		}
		eventually(t, ioTimeout, "the tunnel to end", func() bool { return tunnels() == 0 })
	})
	t.Run("backend first", func(t *testing.T) {
		st, ws := wsDialH2(t, th.TLSAddr, "backend-first.test", "/", "websocket")
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		got, err := io.ReadAll(ws)
		if err != nil || string(got) != "bye" {
			t.Fatalf("read %q, %v; want \"bye\" then END_STREAM", got, err)
		}
		if err := ws.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		eventually(t, ioTimeout, "the tunnel to end", func() bool { return tunnels() == 0 })
		h2Quiet(t, ws.(*h2Stream))
	})
}

// get sends GET path for host as stream id of s's connection and reads
// frames until that stream ends; DATA of stream 1 read meanwhile is kept
// for s's reads. It returns the status and body.
func (s *h2Stream) get(t *testing.T, id uint32, host, path string) (int, string) {
	t.Helper()
	s.hb.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", path}, {":authority", host}} {
		s.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: s.hb.Bytes(),
		EndHeaders: true, EndStream: true}); err != nil {
		t.Fatal(err)
	}
	status, body := 0, ""
	for {
		f, err := s.fr.ReadFrame()
		if err != nil {
			t.Fatalf("stream %d: %v", id, err)
		}
		ended := false
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == id {
				fmt.Sscan(f.PseudoValue("status"), &status)
				ended = f.StreamEnded()
			}
		case *http2.DataFrame:
			if n := uint32(len(f.Data())); n > 0 {
				s.fr.WriteWindowUpdate(0, n)
				s.fr.WriteWindowUpdate(f.StreamID, n)
			}
			switch f.StreamID {
			case id:
				body += string(f.Data())
				ended = f.StreamEnded()
			case 1:
				s.buf = append(s.buf, f.Data()...)
				s.ended = s.ended || f.StreamEnded()
			}
		case *http2.WindowUpdateFrame:
			s.window(f)
		case *http2.RSTStreamFrame:
			t.Fatalf("stream %d reset (%v)", f.StreamID, f.ErrCode)
		case *http2.SettingsFrame:
			if !f.IsAck() {
				s.fr.WriteSettingsAck()
			}
		}
		if ended {
			return status, body
		}
	}
}

// TestWebSocketOverH2Streams: a tunnel is one stream among others, and
// ends badly as a stream: other streams of its connection are served while
// it is open; a tunnel idle for the listener's tunnel_timeout, and one
// whose backend resets its connection, get RST_STREAM(CANCEL), and their
// backend connections close.
func TestWebSocketOverH2Streams(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) {
		l.Certificate = certOf(ca.Leaf(frontNames, testcert.Options{}))
		l.TunnelTimeout = order.Duration(500 * time.Millisecond)
	})
	echo := wsRawOrigin(t, func(c net.Conn, br *bufio.Reader) { io.Copy(c, br) })
	th.routeTLS("echo.test", "c-echo", echo.Addr)
	plain := newOrigin(t, "plain", nil)
	th.routeTLS("plain.test", "c-plain", plain.Addr)
	silentDone := make(chan struct{}, 1)
	silent := wsRawOrigin(t, func(c net.Conn, br *bufio.Reader) {
		io.Copy(io.Discard, br) // until the proxy closes the connection
		silentDone <- struct{}{}
	})
	th.routeTLS("silent.test", "c-silent", silent.Addr)
	resetter := wsRawOrigin(t, func(c net.Conn, br *bufio.Reader) {
		br.ReadByte() // the first byte from the client, then a reset
		c.(*net.TCPConn).SetLinger(0)
	})
	th.routeTLS("reset.test", "c-reset", resetter.Addr)

	t.Run("other streams", func(t *testing.T) {
		st, ws := wsDialH2(t, th.TLSAddr, "echo.test", "/", "websocket")
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		s := ws.(*h2Stream)
		for i, id := range []uint32{3, 5} {
			msg := fmt.Sprintf("message %d", i)
			if _, err := s.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			if st, body := s.get(t, id, "plain.test", "/x"); st != 200 || body != "plain /x" {
				t.Errorf("stream %d beside the tunnel: %d %q", id, st, body)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(s, got); err != nil || string(got) != msg {
				t.Fatalf("echo %q, %v; want %q", got, err, msg)
			}
		}
		if err := s.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, s); n != 0 || err != nil {
			t.Fatalf("end: %d bytes, %v", n, err)
		}
	})
	t.Run("idle", func(t *testing.T) {
		st, ws := wsDialH2(t, th.TLSAddr, "silent.test", "/", "websocket")
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		s := ws.(*h2Stream)
		if _, err := io.Copy(io.Discard, s); err == nil || s.reset != http2.ErrCodeCancel {
			t.Fatalf("an idle tunnel ended with %v, want RST_STREAM(CANCEL)", err)
		}
		select {
		case <-silentDone:
		case <-time.After(10 * time.Second):
			t.Fatal("the idle tunnel's backend connection is still open")
		}
	})
	t.Run("backend reset", func(t *testing.T) {
		st, ws := wsDialH2(t, th.TLSAddr, "reset.test", "/", "websocket")
		if st != 200 {
			t.Fatalf("status %d", st)
		}
		s := ws.(*h2Stream)
		if _, err := s.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, s); err == nil || s.reset != http2.ErrCodeCancel {
			t.Fatalf("a reset backend: %v, want RST_STREAM(CANCEL)", err)
		}
	})
	eventually(t, ioTimeout, "the tunnels to end", func() bool {
		return th.Must(order.Status{}).Content.Status.ActiveTunnels == 0
	})
}
