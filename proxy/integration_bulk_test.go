package proxy_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/sluiceproxy/sluice/proxy"
)

// pattern is n bytes in which a byte out of place shows: every 16-byte
// run carries its offset.
func pattern(n int) []byte {
	b := make([]byte, 0, n+16)
	for i := 0; len(b) < n; i += 16 {
		b = fmt.Appendf(b, "%015x\n", i)
	}
	return b[:n]
}

// TestFrontsRelayBodiesAcrossBufferSizes: response bodies around the
// sizes where the copy changes buffers (the 16 KiB read buffer, the 64 KiB
// bulk buffer) arrive whole and in order through both fronts, framed by
// Content-Length, chunked, or by the backend closing; the connection is
// reused after each.
func TestFrontsRelayBodiesAcrossBufferSizes(t *testing.T) {
	relayBodiesAcrossBufferSizes(t, nil)
}

// TestFrontsRelayBodiesWithoutBulkBuffers: the same bodies arrive whole
// when no bulk buffer is free (BulkBuffers negative: none at all), copied
// through the exchange's 16 KiB buffer.
func TestFrontsRelayBodiesWithoutBulkBuffers(t *testing.T) {
	relayBodiesAcrossBufferSizes(t, func(t *testing.T, c *proxy.Config) { c.BulkBuffers = -1 })
}

func relayBodiesAcrossBufferSizes(t *testing.T, mod func(t *testing.T, c *proxy.Config)) {
	sizes := []int{0, 1, 16<<10 - 200, 16 << 10, 16<<10 + 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 200_000, 1 << 20}
	framings := []string{"length", "chunked", "close"}
	eachFrontWith(t, mod, func(t *testing.T, f *front) {
		origin := newOrigin(t, "bulk", func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			body := pattern(n)
			switch r.URL.Query().Get("framing") {
			case "length":
				w.Header().Set("Content-Length", strconv.Itoa(n))
				w.Write(body)
			case "chunked": // no length: net/http chunks what it flushes
				for len(body) > 0 {
					k := min(len(body), 7000)
					w.Write(body[:k])
					w.(http.Flusher).Flush()
					body = body[k:]
				}
			case "close": // no length, no chunks: the end is the close
				conn, rw, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
				rw.Write(body)
				rw.Flush()
			}
		})
		f.route("bulk.test", origin.Addr)
		for _, fr := range framings {
			for _, n := range sizes {
				resp, body := f.get("bulk.test", fmt.Sprintf("/?n=%d&framing=%s", n, fr))
				if resp.StatusCode != 200 {
					t.Errorf("%s %d: status %d", fr, n, resp.StatusCode)
					continue
				}
				if want := pattern(n); !bytes.Equal([]byte(body), want) {
					t.Errorf("%s %d: got %d bytes, not the %d sent (first difference at %d)", fr, n, len(body), n, firstDiff([]byte(body), want))
				}
			}
		}
		if resp, _ := f.get("bulk.test", "/?n=1&framing=length"); resp.StatusCode != 200 {
			t.Errorf("request after the bodies: %d", resp.StatusCode)
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
