package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestSyslogThroughTheDaemon: with access_log naming a syslog server, the
// daemon sends a message per request and per tcp connection to it, and
// counts the lines written on its Prometheus endpoint.
func TestSyslogThroughTheDaemon(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer func() { echo.Close(); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			io.Copy(c, c)
			c.Close()
		}
	}()
	dir := t.TempDir()
	prom, tcpFront := freePort(t), freePort(t)
	d := start(t, dir, origin(t), fmt.Sprintf(`access_log = "syslog://%s?facility=local4&tag=edge"
[metrics]
prometheus_address = %q

[[listeners]]
protocol = "tcp"
address = %q

[clusters.db]
protocol = "tcp"
frontends = [ { address = %q } ]
backends = [ { id = "db-1", address = %q } ]
`, pc.LocalAddr(), prom, tcpFront, tcpFront, echo.Addr()))

	if code, _ := get(t, "http://"+d.front+"/hello"); code != 200 {
		t.Fatalf("GET: %d", code)
	}
	c, err := net.Dial("tcp", tcpFront)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("ping"))
	c.(*net.TCPConn).CloseWrite()
	if b, err := io.ReadAll(c); err != nil || string(b) != "ping" {
		t.Fatalf("tcp echo %q %v", b, err)
	}
	c.Close()

	var msgs []string
	buf := make([]byte, 64<<10)
	for range 2 {
		pc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %q: %v", msgs, err)
		}
		msgs = append(msgs, string(buf[:n]))
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"<166>1 ", " edge ", " access - ", `"GET `, "/hello", " db db-1 tcp - 4 4 ", " client_close"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in the messages:\n%s", want, all)
		}
	}
	testwait.For(t, "the lines counted", func() bool {
		_, body := get(t, "http://"+prom+"/metrics")
		return strings.Contains(body, `sluice_access_log_lines_total{result="written"} 2`)
	})
}
