package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// wsEchoOrigin is a WebSocket origin (github.com/coder/websocket) that
// echoes every message.
func wsEchoOrigin(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := r.Context()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// wsEcho dials url through hc (an http or https client), exchanges n
// messages of assorted sizes, text and binary, checks every echo, and
// calls during while the tunnel is open. An https test passes its own
// client and wss:// URL.
func wsEcho(t *testing.T, url string, hc *http.Client, n int, during func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer c.CloseNow()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	c.SetReadLimit(1 << 20)
	buf := payload(70_000)
	for i := range n {
		size := []int{0, 1, 125, 126, 1000, 65535, 65536, 70_000}[i%8]
		typ := websocket.MessageBinary
		msg := buf[:size]
		if i%2 == 1 {
			typ, msg = websocket.MessageText, []byte(fmt.Sprintf("message %d", i))
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			t.Fatalf("message %d: write: %v", i, err)
		}
		gt, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: read: %v", i, err)
		}
		if gt != typ || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: echo differs (%d bytes, want %d)", i, len(got), len(msg))
		}
	}
	if during != nil {
		during()
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestWebSocketEcho: 10 000 WebSocket messages echo through an http
// listener; the tunnel counts as an active tunnel while it is open.
func TestWebSocketEcho(t *testing.T) {
	h := startProxy(t, nil)
	o := wsEchoOrigin(t)
	h.route("*", o.Listener.Addr().String())
	wsEcho(t, "ws://"+h.Addr+"/echo", &http.Client{}, 10_000, func() {
		if st := h.Must(order.Status{}).Content.Status; st.ActiveTunnels != 1 {
			t.Errorf("active tunnels %d, want 1", st.ActiveTunnels)
		}
	})
	eventually(t, ioTimeout, "the tunnel to end", func() bool {
		return h.Must(order.Status{}).Content.Status.ActiveTunnels == 0
	})
}

// TestTunnelTimeout: a tunnel with no traffic is closed after the
// listener's tunnel timeout, not its front timeout.
func TestTunnelTimeout(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) {
		c.Listeners[0].FrontTimeout = order.Duration(100 * time.Millisecond)
		c.Listeners[0].TunnelTimeout = order.Duration(600 * time.Millisecond)
	})
	o := newRawOrigin(t, func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		io.Copy(c, c)
	})
	h.route("t.test", o.Addr)
	c := dialRaw(t, h.Addr)
	c.write("GET / HTTP/1.1\r\nHost: t.test\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
	if head, err := readHead(c.BR); err != nil || len(head) == 0 {
		t.Fatalf("%q %v", head, err)
	}
	time.Sleep(300 * time.Millisecond) // past the front timeout
	c.write("ping")
	got := make([]byte, 4)
	if _, err := io.ReadFull(c.BR, got); err != nil || string(got) != "ping" {
		t.Fatalf("tunnel closed before its timeout: %q %v", got, err)
	}
	start := time.Now()
	c.expectClosed(5 * time.Second)
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("closed %v after the last byte, want about 600ms", took)
	}
}
