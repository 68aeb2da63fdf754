package h1

import (
	"strings"
	"testing"
)

// chromeRequest is a typical browser request head (~500 bytes).
var chromeRequest = []byte("GET /products/42?ref=home&utm_source=newsletter HTTP/1.1\r\n" +
	"Host: shop.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n" +
	"Cookie: session=3f9a1c2e7b; theme=dark; cart=17\r\n" +
	"\r\n")

var typicalResponse = []byte("HTTP/1.1 200 OK\r\n" +
	"Date: Tue, 25 Nov 2025 10:31:00 GMT\r\n" +
	"Server: nginx\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Length: 5120\r\n" +
	"Connection: keep-alive\r\n" +
	"Cache-Control: private, max-age=0\r\n" +
	"Set-Cookie: session=3f9a1c2e7b; Path=/; HttpOnly; Secure\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"\r\n")

// chunkedBody is 16 chunks of 1 KiB with extensions on the first and a trailer.
var chunkedBody = func() []byte {
	var b strings.Builder
	for i := 0; i < 16; i++ {
		if i == 0 {
			b.WriteString("400;ext=1\r\n")
		} else {
			b.WriteString("400\r\n")
		}
		b.WriteString(strings.Repeat("x", 1024))
		b.WriteString("\r\n")
	}
	b.WriteString("0\r\nX-Checksum: abcdef\r\n\r\n")
	return []byte(b.String())
}()

func BenchmarkParseRequest(b *testing.B) {
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(chromeRequest)))
	for b.Loop() {
		if _, err := ParseRequest(chromeRequest, &r, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponse(b *testing.B) {
	var r Response
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalResponse)))
	for b.Loop() {
		if _, err := ParseResponse(typicalResponse, &r, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkedScanner(b *testing.B) {
	var s ChunkedScanner
	b.ReportAllocs()
	b.SetBytes(int64(len(chunkedBody)))
	for b.Loop() {
		s.Reset()
		// Feed in 4 KiB reads, as a proxy would.
		for p := chunkedBody; len(p) > 0; {
			k := min(len(p), 4096)
			n, _, err := s.Scan(p[:k])
			if err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
		if !s.Done() {
			b.Fatal("not done")
		}
	}
}

// TestZeroAllocs proves steady-state parsing and scanning allocate nothing,
// including on the error paths and ErrIncomplete.
func TestZeroAllocs(t *testing.T) {
	var r Request
	var resp Response
	var s ChunkedScanner
	ParseRequest(chromeRequest, &r, Limits{}) // first call sizes Headers
	ParseResponse(typicalResponse, &resp, Limits{})
	bad := []byte("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
	cases := map[string]func(){
		"request": func() {
			if _, err := ParseRequest(chromeRequest, &r, Limits{}); err != nil {
				t.Fatal(err)
			}
			if !r.ConnectionListed([]byte("keep-alive")) {
				t.Fatal("ConnectionListed")
			}
		},
		"request incomplete": func() {
			if _, err := ParseRequest(chromeRequest[:300], &r, Limits{}); err != ErrIncomplete {
				t.Fatal(err)
			}
		},
		"request error": func() {
			if _, err := ParseRequest(bad, &r, Limits{}); errStatus(err) != 400 {
				t.Fatal(err)
			}
		},
		"response": func() {
			if _, err := ParseResponse(typicalResponse, &resp, Limits{}); err != nil {
				t.Fatal(err)
			}
		},
		"chunked": func() {
			s.Reset()
			if n, done, err := s.Scan(chunkedBody); err != nil || !done || n != len(chunkedBody) {
				t.Fatal(n, done, err)
			}
		},
	}
	for name, f := range cases {
		if a := testing.AllocsPerRun(100, f); a > 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, a)
		}
	}
}
