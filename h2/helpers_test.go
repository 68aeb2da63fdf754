package h2

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/park"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// rawOrigin answers every request head with a fixed response, allocating
// nothing per request, so that a benchmark's allocations are the proxy's.
func rawOrigin(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n")
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 8192)
				n := 0
				for {
					k, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += k
					for {
						i := bytes.Index(buf[:n], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if _, err := c.Write(resp); err != nil {
							return
						}
						n = copy(buf, buf[i+4:n])
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

// testOptions vary the server of startServer.
type testOptions struct {
	lim                Limits
	metrics, accessLog bool
	// plain serves HTTP/2 over the TCP connection itself, without TLS:
	// the front's own costs, without crypto/tls's (which allocates a
	// reader per record it reads).
	plain    bool
	origin   string // the backend's address; a raw origin of its own when empty
	maxIdle  int    // the backend's idle connections kept; 4 when 0
	settings func(*listener.Settings)
	// parkAfter is Parking.After: idle connections park in a poller of
	// the server's own after it (default 20ms); negative: never.
	parkAfter time.Duration
	// workerIdle is the Server's period of retiring idle workers
	// (WorkerIdle when 0).
	workerIdle time.Duration
	// log receives the server's log lines (text); discarded when nil.
	log io.Writer
}

// testServer is an h2.Server behind a TLS listener on loopback, routing
// bench.test to a raw origin; other hosts get 404.
type testServer struct {
	s     *Server
	addr  string
	ln    *listener.HTTP
	ca    *testcert.CA
	plain bool
}

func startServer(tb testing.TB, opt testOptions) *testServer {
	origin := opt.origin
	if origin == "" {
		origin = rawOrigin(tb)
	}
	logTo := opt.log
	if logTo == nil {
		logTo = io.Discard
	}
	env := exchange.NewEnv(slog.New(slog.NewTextHandler(logTo, nil)))
	set := &listener.Settings{FrontTimeout: time.Minute, BackTimeout: time.Minute,
		ConnectTimeout: time.Second, RequestTimeout: time.Minute, Proto: "https"}
	if opt.settings != nil {
		opt.settings(set)
	}
	ln := listener.NewHTTP("127.0.0.1:443", set)
	c := backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: "c"}}, nil)
	maxIdle := 4
	if opt.maxIdle > 0 {
		maxIdle = opt.maxIdle
	}
	be := backend.NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: origin}, maxIdle)
	if opt.metrics {
		reg := metrics.NewRegistry()
		ln.M, c.M, be.M = reg.AddListener(ln.Addr), reg.AddCluster("c"), reg.AddBackend("c", "b")
	}
	if opt.accessLog {
		al, err := accesslog.New(accesslog.Config{Output: io.Discard})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { al.Close() })
		env.AccessLog = al
	}
	c.Add(be)
	tbl, _ := router.New[*listener.Route]().Add(router.Rule[*listener.Route]{Hostname: "bench.test", Target: &listener.Route{Cluster: c}})
	ln.SetRoutes(tbl)

	ca := testcert.NewCA()
	leaf := ca.Leaf([]string{"bench.test"}, testcert.Options{})
	cert, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	sock, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	s := NewServer(env, ln, opt.lim, &wg)
	if opt.workerIdle > 0 {
		s.workerIdle = opt.workerIdle
	}
	var poller *park.Poller
	if opt.parkAfter >= 0 {
		if opt.parkAfter == 0 {
			opt.parkAfter = 20 * time.Millisecond
		}
		p, err := park.New()
		if err == nil {
			poller = p
			s.SetParking(Parking{Poller: p, After: opt.parkAfter})
		} else if err != park.ErrUnsupported {
			tb.Fatal(err)
		}
	}
	wg.Go(func() {
		for {
			nc, err := sock.Accept()
			if err != nil {
				return
			}
			wg.Add(1) // until the connection's release
			go func() {
				if opt.plain {
					s.serve(nc, nc, exchange.Client{Conn: nc, Addr: peerAddr(nc)}, wg.Done)
					return
				}
				tc := tls.Server(nc, cfg)
				if err := tc.Handshake(); err != nil {
					nc.Close()
					wg.Done()
					return
				}
				s.Serve(tc, nil, nil, wg.Done)
			}()
		}
	})
	tb.Cleanup(func() {
		sock.Close()
		ln.Drain()
		s.CloseAll()
		wg.Wait()
		c.Close()
		if poller != nil {
			poller.Close()
		}
	})
	return &testServer{s: s, addr: sock.Addr().String(), ln: ln, ca: ca, plain: opt.plain}
}

// client is a hand-driven HTTP/2 client connection that allocates nothing
// per request once warm.
type client struct {
	tb   testing.TB
	c    net.Conn
	out  []byte
	in   []byte
	r, w int
	next uint32 // next stream id
	// Frames of the last response.
	status  byte // HEADERS seen
	data    int  // DATA payload bytes
	goAway  bool
	code    uint32
	resets  int
	lastTyp byte
	seen    map[uint32]seenStream // answers read while awaiting another stream
	// dec decodes every header block the server sends, in order (they
	// index its dynamic table); hstatus is the :status of the last one.
	// A lean client decodes with the server's own decoder (lean), which
	// allocates nothing: allocation tests count the whole process.
	dec     *hpack.Decoder
	lean    *decoder
	hblock  []byte
	hstatus string
}

// makeLean has cl decode the server's blocks with the package's decoder.
func (cl *client) makeLean() {
	cl.lean = newDecoder(headerTableSize, func(name, value []byte) {
		if string(name) == ":status" {
			switch string(value) {
			case "200":
				cl.hstatus = "200"
			default:
				cl.hstatus = string(value)
			}
		}
	})
}

// dial opens a connection, sends the preface, SETTINGS and a large
// connection window.
func (ts *testServer) dial(tb testing.TB) *client {
	var tc net.Conn
	if ts.plain {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			tb.Fatal(err)
		}
		tc = nc
	} else {
		c, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.ca.Pool, ServerName: "bench.test", NextProtos: []string{"h2"}})
		if err != nil {
			tb.Fatal(err)
		}
		if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
			tb.Fatalf("ALPN %q", p)
		}
		tc = c
	}
	tb.Cleanup(func() { tc.Close() })
	cl := &client{tb: tb, c: tc, in: make([]byte, 64<<10), next: 1}
	b := append([]byte(preface), appendFrameHeader(nil, 0, frameSettings, 0, 0)...)
	b = appendWindowUpdate(b, 0, 1<<30) // room for 80M small responses, and for more WINDOW_UPDATEs
	cl.write(b)
	return cl
}

func (cl *client) write(b []byte) {
	_ = cl.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := cl.c.Write(b); err != nil {
		cl.tb.Fatal(err)
	}
}

// frame reads the next frame: its header fields and payload (valid until
// the next read). err is the read's error.
func (cl *client) frame() (typ, flags byte, id uint32, p []byte, err error) {
	for cl.w-cl.r < frameHeaderLen || cl.w-cl.r < frameHeaderLen+int(binary.BigEndian.Uint32(cl.in[cl.r:])>>8) {
		if cl.r > 0 {
			cl.w = copy(cl.in, cl.in[cl.r:cl.w])
			cl.r = 0
		}
		_ = cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := cl.c.Read(cl.in[cl.w:])
		cl.w += n
		if n == 0 && err != nil {
			return 0, 0, 0, nil, err
		}
	}
	h := cl.in[cl.r:]
	length := int(binary.BigEndian.Uint32(h) >> 8)
	typ, flags, id = h[3], h[4], binary.BigEndian.Uint32(h[5:])&0x7fffffff
	p = h[frameHeaderLen : frameHeaderLen+length]
	cl.r += frameHeaderLen + length
	if typ == frameHeaders || typ == frameContinuation {
		cl.decodeHeaders(typ, flags, p)
	}
	return typ, flags, id, p, nil
}

// decodeHeaders decodes a header block once its last frame is read.
func (cl *client) decodeHeaders(typ, flags byte, p []byte) {
	if typ == frameHeaders {
		cl.hblock = cl.hblock[:0]
	}
	cl.hblock = append(cl.hblock, p...)
	if flags&flagEndHeaders == 0 {
		return
	}
	cl.hstatus = ""
	if cl.lean != nil {
		if err := cl.lean.decode(cl.hblock); err != nil {
			cl.tb.Errorf("the server's header block %x: %v", cl.hblock, err)
		}
		return
	}
	if cl.dec == nil {
		cl.dec = hpack.NewDecoder(headerTableSize, nil)
	}
	fs, err := cl.dec.DecodeFull(cl.hblock)
	if err != nil {
		cl.tb.Errorf("the server's header block %x: %v", cl.hblock, err)
	}
	for _, f := range fs {
		if f.Name == ":status" {
			cl.hstatus = f.Value
		}
	}
}

// response reads frames until stream id ends (or is reset, or the
// connection ends), answering the server's SETTINGS; it reports whether
// the stream ended cleanly.
func (cl *client) response(id uint32) bool {
	cl.status, cl.data = 0, 0
	for {
		typ, flags, sid, p, err := cl.frame()
		if err != nil {
			return false
		}
		cl.lastTyp = typ
		switch typ {
		case frameSettings:
			if flags&flagAck == 0 {
				cl.write(appendFrameHeader(cl.out[:0], 0, frameSettings, flagAck, 0))
			}
		case frameGoAway:
			cl.goAway, cl.code = true, binary.BigEndian.Uint32(p[4:])
			return false
		case frameRSTStream:
			if sid == id {
				cl.resets++
				cl.code = binary.BigEndian.Uint32(p)
				return false
			}
		case frameHeaders:
			if sid == id {
				cl.status = p[0]
				if flags&flagEndStream != 0 {
					return true
				}
			}
		case frameData:
			if sid == id {
				cl.data += len(p)
				if flags&flagEndStream != 0 {
					return true
				}
			}
		}
	}
}

// untilClosed reads frames until the connection ends; it reports the
// GOAWAY code seen (goAway false if none).
func (cl *client) untilClosed() (goAway bool, code uint32) {
	for {
		typ, _, _, p, err := cl.frame()
		if err != nil {
			return goAway, code
		}
		if typ == frameGoAway && len(p) >= 8 {
			goAway, code = true, binary.BigEndian.Uint32(p[4:])
		}
	}
}

// block encodes fields with an HPACK encoder of its own (literals with
// indexing: a block sent twice is all indexed the second time).
func block(enc *hpack.Encoder, buf *bytes.Buffer, fields ...string) []byte {
	buf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(buf.Bytes())
}

// headers appends a HEADERS frame.
func headersFrame(b []byte, id uint32, block []byte, end bool) []byte {
	flags := byte(flagEndHeaders)
	if end {
		flags |= flagEndStream
	}
	return append(appendFrameHeader(b, len(block), frameHeaders, flags, id), block...)
}

// endings reads frames until n streams have ended with END_STREAM on
// DATA or HEADERS, or one was reset or the connection failed; it returns
// how many ended well. SETTINGS are acknowledged.
func (cl *client) endings(n int) int {
	ended := 0
	for ended < n {
		typ, flags, _, p, err := cl.frame()
		if err != nil {
			return ended
		}
		cl.lastTyp = typ
		switch typ {
		case frameSettings:
			if flags&flagAck == 0 {
				cl.write(appendFrameHeader(cl.out[:0], 0, frameSettings, flagAck, 0))
			}
		case frameGoAway, frameRSTStream:
			cl.code = binary.BigEndian.Uint32(p[len(p)-4:])
			return ended
		case frameHeaders, frameData:
			if flags&flagEndStream != 0 {
				ended++
			}
		}
	}
	return ended
}
