package proxy_test

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/order"
)

// refusingH2Origin is a cleartext HTTP/2 origin written with x/net's
// Framer. The first stream it gets is not processed: refused with
// RST_STREAM(REFUSED_STREAM) as its head comes, or, with goAway, left
// out of a GOAWAY(NO_ERROR, last stream 0), after which the origin closes
// that connection. Every other stream is answered 200 with the request's
// body.
type refusingH2Origin struct {
	Addr     string
	refused  atomic.Int64 // streams refused or left out of a GOAWAY: 1 once the first came
	answered atomic.Int64
	goAway   bool
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn // closed when the test ends
}

func newRefusingH2Origin(t *testing.T, goAway bool) *refusingH2Origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &refusingH2Origin{Addr: ln.Addr().String(), goAway: goAway, ln: ln}
	o.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.mu.Lock()
			o.conns = append(o.conns, c)
			o.mu.Unlock()
			o.wg.Go(func() { defer c.Close(); o.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		o.mu.Lock()
		for _, c := range o.conns {
			c.Close()
		}
		o.mu.Unlock()
		o.wg.Wait()
	})
	return o
}

// serve runs one connection until the peer closes it or it breaks.
func (o *refusingH2Origin) serve(c net.Conn) {
	bodies := map[uint32]*bytes.Buffer{}
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	serveFramer(c, func(fr *http2.Framer, f http2.Frame) error {
		refuse := func(id uint32) error { // the first stream, as its head comes
			if o.goAway {
				fr.WriteGoAway(0, http2.ErrCodeNo, nil)
				return io.EOF // the connection closes
			}
			return fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
		}
		end := func(id uint32) error { // the request of stream id is in
			body := bodies[id]
			delete(bodies, id)
			o.answered.Add(1)
			hbuf.Reset()
			enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
			enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(body.Len())})
			if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(),
				EndHeaders: true, EndStream: body.Len() == 0}); err != nil || body.Len() == 0 {
				return err
			}
			for p := body.Bytes(); ; { // frames of at most the default 16 KiB
				n := min(len(p), 16<<10)
				if err := fr.WriteData(id, n == len(p), p[:n]); err != nil || n == len(p) {
					return err
				}
				p = p[n:]
			}
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if o.refused.CompareAndSwap(0, 1) {
				return refuse(f.StreamID)
			}
			bodies[f.StreamID] = new(bytes.Buffer)
			if f.StreamEnded() {
				return end(f.StreamID)
			}
		case *http2.DataFrame:
			if b := bodies[f.StreamID]; b != nil {
				b.Write(f.Data())
				if n := len(f.Data()); n > 0 {
					fr.WriteWindowUpdate(0, uint32(n))
					fr.WriteWindowUpdate(f.StreamID, uint32(n))
				}
				if f.StreamEnded() {
					return end(f.StreamID)
				}
			}
		}
		return nil
	})
}

// serveFramer is a test origin's side of a cleartext HTTP/2 connection,
// written with x/net's Framer: it reads the client preface, sends its
// SETTINGS, acknowledges the client's SETTINGS and PINGs, and hands every
// other frame (header blocks decoded) to handle, until handle returns an
// error or the connection breaks.
func serveFramer(c net.Conn, handle func(fr *http2.Framer, f http2.Frame) error) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if fr.WriteSettings() != nil {
		return
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				err = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				err = fr.WritePing(true, f.Data)
			}
		default:
			err = handle(fr, f)
		}
		if err != nil {
			return
		}
	}
}

// TestH2UnprocessedStreamResent: a request whose stream an HTTP/2
// backend did not process (REFUSED_STREAM, or left out of a GOAWAY: RFC
// 9113 §8.7) is sent again, a POST with its body included (as gRPC calls
// are), and the client gets the answer instead of a 502; through both
// fronts.
func TestH2UnprocessedStreamResent(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		for _, goAway := range []bool{false, true} {
			o := newRefusingH2Origin(t, goAway)
			host := "refuse" + strconv.FormatBool(goAway) + ".test"
			id := f.route(host, o.Addr)
			f.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})
			for i, body := range []string{"hello", "again", ""} {
				req := f.request("POST", host, "/rpc", strings.NewReader(body))
				req.ContentLength = int64(len(body))
				resp, got := f.send(req)
				if resp.StatusCode != 200 || got != body {
					t.Fatalf("goaway %v, request %d: %d %q, want 200 %q", goAway, i, resp.StatusCode, got, body)
				}
			}
			if r, a := o.refused.Load(), o.answered.Load(); r != 1 || a != 3 {
				t.Errorf("goaway %v: %d streams refused, %d answered, want 1 and 3", goAway, r, a)
			}
		}
		// A body that streams (its first KiB in hand when the stream goes,
		// the rest sent only once the origin refused it) cannot go again:
		// the refusal is answered 502.
		o := newRefusingH2Origin(t, false)
		f.Must(order.UpdateCluster{ID: f.route("stream.test", o.Addr), BackendProtocol: order.Some(order.H2)})
		pr, pw := io.Pipe()
		var wg sync.WaitGroup
		wg.Go(func() {
			defer pw.Close()
			if _, err := pw.Write(make([]byte, 1<<10)); err != nil {
				return
			}
			for end := time.Now().Add(ioTimeout); o.refused.Load() == 0 && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
			pw.Write(make([]byte, 63<<10)) // the proxy may have stopped reading: errors are fine
		})
		req := f.request("POST", "stream.test", "/rpc", pr)
		req.ContentLength = 64 << 10
		if resp, got := f.send(req); resp.StatusCode != 502 {
			t.Errorf("a streamed body refused: %d %.40q, want 502", resp.StatusCode, got)
		}
		pr.Close()
		wg.Wait()
		if r, a := o.refused.Load(), o.answered.Load(); r != 1 || a != 0 {
			t.Errorf("a streamed body: %d streams refused, %d answered, want 1 and 0", r, a)
		}
	})
}
