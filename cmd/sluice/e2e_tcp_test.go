package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
)

// tcpOrigin serves each connection with serve until the test ends.
func tcpOrigin(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Minute))
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// hashOrigin reads everything, then answers "<bytes> <sha256>".
func hashOrigin(c net.Conn) {
	h := sha256.New()
	n, _ := io.Copy(h, c)
	fmt.Fprintf(c, "%d %s", n, hex.EncodeToString(h.Sum(nil)))
}

// vmRSS is the resident memory of process pid in KiB.
func vmRSS(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}

// startTCPDaemon runs `sluice start -c` with the harness's http listener
// plus a tcp listener and cluster "db" (backends given), and a tcp listener
// expecting the PROXY protocol whose cluster "pp" sends it (backend ppb).
func startTCPDaemon(t *testing.T, dir, ppb string, backends ...string) (d *runningProxy, tcpAddr, ppAddr string) {
	tcpAddr, ppAddr = freePort(t), freePort(t)
	var be []string
	for i, b := range backends {
		be = append(be, fmt.Sprintf("{ id = \"db-%d\", address = %q }", i, b))
	}
	extra := fmt.Sprintf(`
[[listeners]]
protocol = "tcp"
address = %q
front_timeout = "30s"

[[listeners]]
protocol = "tcp"
address = %q
expect_proxy = true

[clusters.db]
protocol = "tcp"
frontends = [ { address = %q } ]
backends = [ %s ]

[clusters.pp]
protocol = "tcp"
send_proxy = true
frontends = [ { address = %q } ]
backends = [ { id = "pp-1", address = %q } ]
`, tcpAddr, ppAddr, tcpAddr, strings.Join(be, ", "), ppAddr, ppb)
	d = start(t, dir, origin(t), extra)
	return d, tcpAddr, ppAddr
}

// TestTCPDaemonGiB sends 1 GiB through a tcp frontend of the daemon: it
// arrives intact (SHA-256) while the daemon's resident memory stays under
// 64 MiB.
func TestTCPDaemonGiB(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB transfer")
	}
	dir := t.TempDir()
	d, tcpAddr, _ := startTCPDaemon(t, dir, freePort(t), tcpOrigin(t, hashOrigin))
	pid := d.cmd.Process.Pid
	c, err := net.DialTimeout("tcp", tcpAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if kb := int64(vmRSS(pid)); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	const total = 1 << 30
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i*31 + i>>9)
	}
	h := sha256.New()
	start := time.Now()
	for sent := 0; sent < total; sent += len(block) {
		block[0], block[1] = byte(sent>>20), byte(sent>>28) // every MiB differs
		h.Write(block)
		if _, err := c.Write(block); err != nil {
			t.Fatalf("after %d bytes: %v", sent, err)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	reply, err := io.ReadAll(c)
	took := time.Since(start)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d %s", total, hex.EncodeToString(h.Sum(nil)))
	if string(reply) != want {
		t.Fatalf("origin got %q, want %q", reply, want)
	}
	t.Logf("1 GiB in %v (%.2f Gbit/s, hashing on both ends included); daemon peak VmRSS %d KiB",
		took, float64(total*8)/took.Seconds()/1e9, peak.Load())
	if p := peak.Load(); p <= 0 || p >= 64<<10 {
		t.Errorf("daemon peak VmRSS %d KiB, want under 64 MiB", p)
	}
}

// TestTCPDaemonOrders drives tcp listeners and frontends through the
// configuration file and the CLI, with expect_proxy and send_proxy.
func TestTCPDaemonOrders(t *testing.T) {
	dir := t.TempDir()
	echo := tcpOrigin(t, func(c net.Conn) { io.Copy(c, c) })
	heads := make(chan proxyproto.Header, 4)
	pp := tcpOrigin(t, func(c net.Conn) {
		var h proxyproto.Header
		if _, err := proxyproto.Read(c, make([]byte, 4096), &h); err == nil {
			heads <- h
			io.Copy(c, c)
		}
	})
	d, tcpAddr, ppAddr := startTCPDaemon(t, dir, pp, echo)
	ping := func(addr, msg string, head []byte) error {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(append(head, msg...))
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			return err
		}
		if string(got) != msg {
			return fmt.Errorf("echo %q", got)
		}
		return nil
	}
	run := func(args ...string) string {
		t.Helper()
		out, stderr, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	if err := ping(tcpAddr, "hello", nil); err != nil {
		t.Fatalf("through the configured frontend: %v", err)
	}
	// expect_proxy + send_proxy from the file: the client's header is relayed.
	in := proxyproto.Header{Command: proxyproto.Proxy, Source: netipAP("203.0.113.5:999"), Dest: netipAP("192.0.2.10:80")}
	if err := ping(ppAddr, "pp", proxyproto.AppendV2(nil, &in)); err != nil {
		t.Fatalf("expect_proxy listener: %v", err)
	}
	if got := <-heads; got.Source != in.Source || got.Dest != in.Dest {
		t.Errorf("origin got header %+v", got)
	}
	if err := ping(ppAddr, "GET / HTTP/1.1 but no header", nil); err == nil {
		t.Error("an expect_proxy listener relayed a connection without a header")
	}

	run("frontend", "tcp", "remove", "--address", tcpAddr, "--cluster", "db")
	if err := ping(tcpAddr, "hello", nil); err == nil {
		t.Fatal("relayed after frontend tcp remove")
	}
	run("frontend", "tcp", "add", "--address", tcpAddr, "--cluster", "db")
	if err := ping(tcpAddr, "again", nil); err != nil {
		t.Fatalf("after frontend tcp add: %v", err)
	}
	second := freePort(t)
	run("listener", "tcp", "add", "--address", second)
	run("frontend", "tcp", "add", "--address", second, "--cluster", "db")
	if err := ping(second, "second", nil); err != nil {
		t.Fatalf("through a listener added by the CLI: %v", err)
	}
	if out := run("frontend", "list"); !strings.Contains(out, second) {
		t.Errorf("frontend list does not show %s:\n%s", second, out)
	}
	// A server-name route from the CLI: the listener now peeks, and a
	// client that does not speak TLS takes the default route.
	run("frontend", "tcp", "add", "--address", second, "--hostname", "Sni.Test", "--cluster", "db")
	if out := run("frontend", "list"); !strings.Contains(out, "sni.test") {
		t.Errorf("frontend list does not show the server name sni.test:\n%s", out)
	}
	if err := ping(second, "not tls", nil); err != nil {
		t.Fatalf("default route of a listener with a server-name route: %v", err)
	}
	if out := run("listener", "list"); !strings.Contains(out, "tcp") {
		t.Errorf("listener list:\n%s", out)
	}
	// A cluster sending the PROXY protocol, from the CLI.
	run("cluster", "add", "--id", "pp2", "--protocol", "tcp", "--send-proxy")
	third := freePort(t)
	run("listener", "tcp", "add", "--address", third, "--expect-proxy")
	run("frontend", "tcp", "add", "--address", third, "--cluster", "pp2")
	run("backend", "add", "--cluster", "pp2", "--id", "x", "--address", pp)
	if err := ping(third, "cli", proxyproto.AppendV1(nil, &in)); err != nil {
		t.Fatalf("CLI expect-proxy/send-proxy: %v", err)
	}
	if got := <-heads; got.Source != in.Source {
		t.Errorf("origin got header %+v", got)
	}
	run("shutdown")
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, d.stderr)
	}
}

func netipAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestTCPDaemonSoftShutdown: a soft shutdown stops accepting but lets an
// open relay go on; the daemon exits once it ends.
func TestTCPDaemonSoftShutdown(t *testing.T) {
	dir := t.TempDir()
	echo := tcpOrigin(t, func(c net.Conn) { io.Copy(c, c) })
	d, tcpAddr, _ := startTCPDaemon(t, dir, freePort(t), echo)
	c, err := net.DialTimeout("tcp", tcpAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	echoOnce := func(msg string) error {
		if _, err := io.WriteString(c, msg); err != nil {
			return err
		}
		got := make([]byte, len(msg))
		_, err := io.ReadFull(c, got)
		return err
	}
	if err := echoOnce("before"); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := cli(t, dir, "-s", "sluice.sock", "shutdown"); code != 0 {
		t.Fatalf("shutdown: %d %s", code, stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for { // the listener closes
		nc, err := net.DialTimeout("tcp", tcpAddr, time.Second)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting after a soft shutdown")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := echoOnce("during the shutdown"); err != nil {
		t.Fatalf("the open relay was cut: %v", err)
	}
	c.Close()
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, d.stderr)
	}
}
