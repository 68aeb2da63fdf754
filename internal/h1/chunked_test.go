package h1

import (
	"bytes"
	"io"
	"net/http/httputil"
	"strings"
	"testing"
)

// scanAll runs a fresh scanner over body split at the given offsets and
// returns the bytes consumed, done, and the error status (0 if none).
func scanAll(body []byte, lim Limits, splits ...int) (int, bool, int) {
	s := ChunkedScanner{Limits: lim}
	total, prev := 0, 0
	for _, cut := range append(splits, len(body)) {
		n, done, err := s.Scan(body[prev:cut])
		total += n
		if err != nil {
			return total, false, errStatus(err)
		}
		if n > cut-prev {
			panic("n > len(p)")
		}
		if done {
			return total, true, 0
		}
		if n != cut-prev {
			panic("not done but did not consume all input")
		}
		prev = cut
	}
	return total, false, 0
}

var chunkedCases = []struct {
	name    string
	body    string
	valid   bool   // complete and valid
	payload string // decoded payload, for valid bodies
	// goDiffers names why net/http/httputil's ChunkedReader reaches a
	// different verdict, if it does.
	goDiffers string
}{
	{"empty", "0\r\n\r\n", true, "", ""},
	{"one", "5\r\nhello\r\n0\r\n\r\n", true, "hello", ""},
	{"multi", "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", true, "hello world", ""},
	{"upper hex", "A\r\n0123456789\r\n0\r\n\r\n", true, "0123456789", ""},
	{"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", true, "hello", ""},
	{"extension", "5;name=value\r\nhello\r\n0;last\r\n\r\n", true, "hello", ""},
	{"extension bws", "5 ; a=\"q s\"\r\nhello\r\n0\r\n\r\n", true, "hello", "RFC 9112 §7.1.1 allows BWS before ';' and Sluice accepts it; httputil cuts at ';' and rejects the leftover space"},
	{"trailers", "5\r\nhello\r\n0\r\nX-Sum: abc\r\nX-Other:\t1 \r\n\r\n", true, "hello", ""},
	{"multi with trailers", "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\nU-2:\r\n\r\n", true, "abc0123456789abcdef", ""},
	{"trailer obs-text", "1\r\na\r\n0\r\nX: caf\xc3\xa9\r\n\r\n", true, "a", ""},

	{"non-hex", "g\r\nhello\r\n0\r\n\r\n", false, "", ""},
	{"empty size", "\r\nhello\r\n0\r\n\r\n", false, "", ""},
	{"negative", "-5\r\nhello\r\n0\r\n\r\n", false, "", ""},
	{"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", false, "", ""},
	{"overflow", "4000000000000001\r\n", false, "", ""},
	{"17 digits", "00000000000000005\r\nhello\r\n0\r\n\r\n", true, "hello", "httputil rejects more than 16 hex digits even when leading zeros keep the value small"},
	{"bare lf size", "5\nhello\r\n0\r\n\r\n", false, "", ""},
	{"bare cr size", "5\rhello\r\n0\r\n\r\n", false, "", ""},
	{"missing crlf after data", "5\r\nhelloX\r\n0\r\n\r\n", false, "", ""},
	{"lf only after data", "5\r\nhello\n0\r\n\r\n", false, "", ""},
	{"cr only after data", "5\r\nhello\r0\r\n\r\n", false, "", ""},
	{"ext ctl", "5;a=\x01\r\nhello\r\n0\r\n\r\n", false, "", "httputil does not inspect chunk-extension bytes"},
	{"ext nul", "5;\x00\r\nhello\r\n0\r\n\r\n", false, "", "httputil does not inspect chunk-extension bytes"},
	{"trailing space", "5 \r\nhello\r\n0\r\n\r\n", false, "", "httputil trims whitespace after the size; RFC 9112 allows BWS only before ';'"},
	{"space before size", " 5\r\nhello\r\n0\r\n\r\n", false, "", ""},
	{"long size line", "5;" + strings.Repeat("a", 4095) + "\r\nhello\r\n0\r\n\r\n", false, "", ""},
	{"trailer bare lf", "0\r\nX: a\n\r\n", false, "", "httputil's ChunkedReader stops after the last-chunk line and never reads trailers"},
	{"trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n", false, "", "httputil's ChunkedReader stops after the last-chunk line and never reads trailers"},
	{"trailer no colon", "0\r\nXa\r\n\r\n", false, "", "httputil's ChunkedReader stops after the last-chunk line and never reads trailers"},
	{"trailer space before colon", "0\r\nX : a\r\n\r\n", false, "", "httputil's ChunkedReader stops after the last-chunk line and never reads trailers"},
	{"trailer nul", "0\r\nX: \x00\r\n\r\n", false, "", "httputil's ChunkedReader stops after the last-chunk line and never reads trailers"},
	{"final bare cr", "0\r\n\rX", false, "", "httputil's ChunkedReader stops after the last-chunk line and never reads trailers"},
}

func TestChunkedScanner(t *testing.T) {
	for _, tc := range chunkedCases {
		body := []byte(tc.body + "NEXT REQUEST")
		n, done, status := scanAll(body, Limits{})
		if tc.valid {
			if !done || status != 0 || n != len(tc.body) {
				t.Errorf("%s: n=%d done=%v status=%d, want n=%d done", tc.name, n, done, status, len(tc.body))
			}
		} else if status != 400 {
			t.Errorf("%s: n=%d done=%v status=%d, want 400", tc.name, n, done, status)
		}
	}
}

// TestChunkedScannerSplits checks that every split point (single and pairs)
// of every case gives the same verdict as scanning it whole.
func TestChunkedScannerSplits(t *testing.T) {
	for _, tc := range chunkedCases {
		if len(tc.body) > 200 {
			continue
		}
		body := []byte(tc.body + "XY")
		n0, d0, s0 := scanAll(body, Limits{})
		for i := 0; i <= len(body); i++ {
			for j := i; j <= len(body); j++ {
				n, d, s := scanAll(body, Limits{}, i, j)
				if d != d0 || s != s0 || (d && n != n0) {
					t.Fatalf("%s: split %d,%d: n=%d done=%v status=%d, whole n=%d done=%v status=%d", tc.name, i, j, n, d, s, n0, d0, s0)
				}
			}
		}
	}
}

func TestChunkedScannerByteAtATime(t *testing.T) {
	body := []byte("3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n")
	var s ChunkedScanner
	for i := range body {
		n, done, err := s.Scan(body[i : i+1])
		if err != nil || n != 1 || done != (i == len(body)-1) {
			t.Fatalf("byte %d: n=%d done=%v err=%v", i, n, done, err)
		}
	}
	if n, done, err := s.Scan([]byte("more")); n != 0 || !done || err != nil {
		t.Fatalf("after done: n=%d done=%v err=%v", n, done, err)
	}
	s.Reset()
	if _, done, _ := s.Scan([]byte("0\r\n")); done || s.Done() {
		t.Fatal("Reset did not clear state")
	}
}

func TestChunkedScannerStickyError(t *testing.T) {
	var s ChunkedScanner
	if _, _, err := s.Scan([]byte("zz")); errStatus(err) != 400 {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := s.Scan([]byte("0\r\n\r\n")); errStatus(err) != 400 {
		t.Fatalf("error not sticky: %v", err)
	}
	s.Reset()
	if _, done, err := s.Scan([]byte("0\r\n\r\n")); !done || err != nil {
		t.Fatalf("after Reset: done=%v err=%v", done, err)
	}
}

func TestChunkedScannerLimits(t *testing.T) {
	lim := Limits{MaxHeadBytes: 20, MaxHeaderFields: 2}
	cases := []struct {
		body string
		ok   bool
	}{
		{"0\r\nA: 1\r\nB: 2\r\n\r\n", true},
		{"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", false},
		{"0\r\nA: " + strings.Repeat("x", 20) + "\r\n\r\n", false},
		{"4000000000000000\r\n", true}, // 2^62 exactly is allowed (incomplete)
		{strings.Repeat("0", 4096) + "\r\n\r\n", true},
		{strings.Repeat("0", 4097) + "\r\n\r\n", false},
	}
	for _, tc := range cases {
		_, _, status := scanAll([]byte(tc.body), lim)
		if (status == 0) != tc.ok {
			t.Errorf("%.40q: status %d, want ok=%v", tc.body, status, tc.ok)
		}
	}
}

// TestChunkedScannerVsHTTPUtil compares verdicts with net/http/httputil's
// ChunkedReader. Both must agree unless the case names a difference, and a
// listed difference must still exist.
func TestChunkedScannerVsHTTPUtil(t *testing.T) {
	for _, tc := range chunkedCases {
		body := []byte(tc.body)
		_, done, status := scanAll(body, Limits{})
		sluiceOK := done && status == 0
		payload, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		goOK := err == nil
		agree := sluiceOK == goOK
		if agree && sluiceOK && string(payload) != tc.payload {
			t.Errorf("%s: httputil payload %q, want %q", tc.name, payload, tc.payload)
		}
		switch {
		case !agree && tc.goDiffers == "":
			t.Errorf("%s: unlisted disagreement: sluice ok=%v, httputil ok=%v (%v)", tc.name, sluiceOK, goOK, err)
		case agree && tc.goDiffers != "":
			t.Errorf("%s: listed as differing (%s) but both ok=%v", tc.name, tc.goDiffers, goOK)
		}
	}
}
