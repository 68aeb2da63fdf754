package proxy_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// TestTCPAccessLog: a proxy given an access log writes a line for each
// connection of its tcp listener, to the logger the HTTP lines go to.
func TestTCPAccessLog(t *testing.T) {
	logs := &syncBuffer{}
	al, err := accesslog.New(accesslog.Config{Output: logs, Format: accesslog.JSON})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() })
	addr := freeAddr(t)
	h := startProxy(t, func(c *proxy.Config) {
		c.AccessLog = al
		c.Listeners = append(c.Listeners, order.Listener{Protocol: order.TCP, Address: addr, Active: true})
	})
	o := echoOrigin(t)
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "db", Protocol: order.TCP}})
	h.Must(order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: addr, ClusterID: "db"}})
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "db", ID: "b0", Address: o.Addr}})

	c := dialTCP(t, addr)
	if got := roundTrip(t, c, "select 1"); got != "select 1" {
		t.Fatalf("echo %q", got)
	}
	c.CloseWrite()
	io.ReadAll(c)
	c.Close()
	var m map[string]any
	eventually(t, ioTimeout, "the connection's line", func() bool {
		s := strings.TrimSpace(logs.String())
		return s != "" && json.Unmarshal([]byte(s), &m) == nil
	})
	want := map[string]any{"protocol": "tcp", "listener": addr, "cluster": "db", "backend": "b0",
		"client": c.LocalAddr().String(), "bytes_in": 8.0, "bytes_out": 8.0, "end": "client_close"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
}
