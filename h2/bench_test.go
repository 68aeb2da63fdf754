package h2

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// warmClient opens a connection to ts and returns a function doing one
// GET on a new stream of it, the way a browser's later requests look to
// the server: every field indexed in the HPACK dynamic table.
func warmClient(tb testing.TB, ts *testServer) func() {
	cl := ts.dial(tb)
	cl.makeLean()
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	fields := []string{":method", "GET", ":scheme", "https", ":authority", "bench.test", ":path", "/index.html",
		"user-agent", "bench", "accept", "*/*"}
	first := block(enc, &buf, fields...)
	indexed := block(enc, &buf, fields...) // the same fields again: all indexed
	roundTrip := func(blk []byte) {
		id := cl.next
		cl.next += 2
		cl.out = headersFrame(cl.out[:0], id, blk, true)
		cl.write(cl.out)
		if !cl.response(id) || cl.data != 13 {
			tb.Fatalf("stream %d: ended badly (last frame %d, code %d, %d body bytes)", id, cl.lastTyp, cl.code, cl.data)
		}
	}
	roundTrip(first)
	for range 100 { // warm the pools
		roundTrip(indexed)
	}
	return func() { roundTrip(indexed) }
}

// BenchmarkStream measures one request on a new stream of an established
// HTTP/2 connection, through the front, the pipeline and a pooled backend
// connection to a raw origin, and back: the whole hot path of the HTTP/2
// front, client included.
func BenchmarkStream(b *testing.B) {
	for _, opt := range []struct {
		name string
		opt  testOptions
	}{{"tls", testOptions{}}, {"tls/metrics+accesslog", testOptions{metrics: true, accessLog: true}},
		{"tcp", testOptions{plain: true}}, {"tcp/metrics+accesslog", testOptions{plain: true, metrics: true, accessLog: true}}} {
		b.Run(opt.name, func(b *testing.B) {
			roundTrip := warmClient(b, startServer(b, opt.opt))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				roundTrip()
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestStreamAllocAllocatesNothing: in steady state, a stream through the
// HTTP/2 front (frames in, HPACK, the pipeline, a pooled backend
// connection, frames out) allocates nothing anywhere in the process. Over
// TLS, crypto/tls allocates a small reader each time it reads a record
// from the socket (tls.Conn.readFromUntil): one read on the server's side
// and one on the client's per round trip here, and nothing else.
func TestStreamAllocAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; run without -race")
	}
	for _, tc := range []struct {
		opt  testOptions
		want float64
	}{
		{testOptions{plain: true}, 0},
		{testOptions{plain: true, metrics: true, accessLog: true}, 0},
		{testOptions{}, 2},
		{testOptions{metrics: true, accessLog: true}, 2},
	} {
		roundTrip := warmClient(t, startServer(t, tc.opt))
		if avg := testing.AllocsPerRun(2000, roundTrip); avg > tc.want+0.05 {
			t.Errorf("plain %v metrics %v access log %v: %.3f allocations per stream, want %v",
				tc.opt.plain, tc.opt.metrics, tc.opt.accessLog, avg, tc.want)
		}
	}
	// Fields sent as literals each time (a new :path, a value not
	// worth indexing), plain and Huffman-coded, cost nothing either.
	ts := startServer(t, testOptions{plain: true})
	cl := ts.dial(t)
	cl.makeLean()
	blk := []byte{0x82, 0x87, 0x01, 10} // GET, https, :authority literal without indexing
	blk = append(blk, "bench.test"...)
	blk = append(blk, 0x04) // :path, literal without indexing, Huffman-coded
	blk = append(blk, byte(0x80|hpack.HuffmanEncodeLength("/a/new/path?q=1")))
	blk = hpack.AppendHuffmanString(blk, "/a/new/path?q=1")
	blk = append(blk, 0x10, 4, 'x', '-', 'i', 'd', 3, '4', '2', '7') // never indexed, new name
	roundTrip := func() {
		id := cl.next
		cl.next += 2
		cl.out = headersFrame(cl.out[:0], id, blk, true)
		cl.write(cl.out)
		if !cl.response(id) || cl.data != 13 {
			t.Fatalf("stream %d ended badly", id)
		}
	}
	for range 100 {
		roundTrip()
	}
	if avg := testing.AllocsPerRun(2000, roundTrip); avg > 0.05 {
		t.Errorf("literal fields: %.3f allocations per stream, want 0", avg)
	}
}

// BenchmarkStreams measures multiplexed requests, as h2load -m10 makes
// them: ten streams opened in one write on an established connection,
// then their ten responses read; an op is one stream. Their frames are
// read and written while other streams of the connection run, so this
// covers the reader's hand-off to the workers and the writer's batching
// that BenchmarkStream (one stream at a time) does not.
func BenchmarkStreams(b *testing.B) {
	for _, opt := range []struct {
		name string
		opt  testOptions
	}{{"tls", testOptions{maxIdle: 16}}, {"tcp", testOptions{plain: true, maxIdle: 16}}} {
		b.Run(opt.name, func(b *testing.B) {
			ts := startServer(b, opt.opt)
			warmClient(b, ts)
			cl := ts.dial(b)
			cl.makeLean()
			var buf bytes.Buffer
			enc := hpack.NewEncoder(&buf)
			fields := []string{":method", "GET", ":scheme", "https", ":authority", "bench.test", ":path", "/index.html",
				"user-agent", "bench", "accept", "*/*"}
			blocks := [][]byte{block(enc, &buf, fields...)} // the first one fills the dynamic table
			for range 9 {
				blocks = append(blocks, block(enc, &buf, fields...))
			}
			wave := func() {
				cl.out = cl.out[:0]
				for _, blk := range blocks {
					cl.out = headersFrame(cl.out, cl.next, blk, true)
					cl.next += 2
				}
				cl.write(cl.out)
				if ended := cl.endings(len(blocks)); ended != len(blocks) {
					b.Fatalf("%d of %d streams ended well (last frame %d, code %d)", ended, len(blocks), cl.lastTyp, cl.code)
				}
				blocks = blocks[1:] // every later block is all indexed
				if len(blocks) < 10 {
					blocks = append(blocks, blocks[len(blocks)-1])
				}
			}
			for range 20 {
				wave()
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			n := 0
			for b.Loop() {
				if n%10 == 0 {
					wave()
				}
				n++
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
