package h1

import (
	"bytes"
	"testing"
	"unsafe"
)

// within reports whether s is empty or lies inside buf.
func within(s, buf []byte) bool {
	if len(s) == 0 {
		return true
	}
	if len(buf) == 0 {
		return false
	}
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	s0 := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return s0 >= b0 && s0+uintptr(len(s)) <= b0+uintptr(len(buf))
}

func hasCTL(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func checkErr(t *testing.T, err error, statuses ...int) {
	t.Helper()
	if err == ErrIncomplete {
		return
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is neither ErrIncomplete nor *Error", err, err)
	}
	for _, s := range statuses {
		if e.Status == s {
			return
		}
	}
	t.Fatalf("unexpected status %d (%s)", e.Status, e.Reason)
}

var fuzzLimits = []Limits{{}, {MaxHeadBytes: 128, MaxHeaderFields: 4}}

func FuzzParseRequest(f *testing.F) {
	for _, tc := range requestCases {
		f.Add([]byte(tc.in))
	}
	f.Add(chromeRequest)
	f.Fuzz(func(t *testing.T, buf []byte) {
		for _, lim := range fuzzLimits {
			var r, r2 Request
			n, err := ParseRequest(buf, &r, lim)
			n2, err2 := ParseRequest(buf, &r2, lim)
			if n != n2 || err != err2 {
				t.Fatalf("not deterministic: %d %v / %d %v", n, err, n2, err2)
			}
			if err != nil {
				checkErr(t, err, 400, 414, 431, 501, 505)
				if err == ErrIncomplete && len(buf) > lim.headBytes() {
					t.Fatalf("ErrIncomplete with %d bytes over limit %d", len(buf), lim.headBytes())
				}
				continue
			}
			if n != r.HeadLen || n > len(buf) || n > lim.headBytes() || n < 16 {
				t.Fatalf("n=%d HeadLen=%d len=%d", n, r.HeadLen, len(buf))
			}
			head := buf[:n]
			for _, s := range [][]byte{r.Method, r.Target, r.Path, r.Host} {
				if !within(s, head) {
					t.Fatalf("slice %q outside the head", s)
				}
			}
			if len(r.Headers) > lim.headerFields() {
				t.Fatalf("%d headers over limit", len(r.Headers))
			}
			for _, h := range r.Headers {
				if !within(h.Name, head) || !within(h.Value, head) || len(h.Name) == 0 {
					t.Fatalf("bad header %q: %q", h.Name, h.Value)
				}
				if h.Kind != ClassifyHeader(h.Name) {
					t.Fatalf("kind mismatch for %q", h.Name)
				}
				if hasCTL(h.Name) || bytes.ContainsAny(h.Value, "\r\n\x00") {
					t.Fatalf("control characters in header %q: %q", h.Name, h.Value)
				}
			}
			if hasCTL(r.Host) || hasCTL(r.Target) || len(r.Method) == 0 || len(r.Path) == 0 {
				t.Fatalf("bad request line or host: %q %q %q", r.Method, r.Target, r.Host)
			}
			if r.Minor == 1 && len(r.Host) == 0 {
				t.Fatal("HTTP/1.1 request without Host accepted")
			}
			if r.ContentLength < -1 || (r.Chunked && r.ContentLength >= 0) {
				t.Fatalf("framing: cl=%d chunked=%v", r.ContentLength, r.Chunked)
			}
			if r.Chunked && r.Minor == 0 {
				t.Fatal("chunked HTTP/1.0 request accepted")
			}
			// Every proper prefix of a valid head is incomplete, and
			// the head alone parses the same.
			for _, k := range []int{0, n / 2, n - 1} {
				if _, err := ParseRequest(buf[:k], &r2, lim); err != ErrIncomplete {
					t.Fatalf("prefix %d of a valid head: %v", k, err)
				}
			}
			if m, err := ParseRequest(buf[:n], &r2, lim); m != n || err != nil {
				t.Fatalf("head alone: %d %v", m, err)
			}
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	for _, tc := range responseCases {
		f.Add([]byte(tc.in))
	}
	f.Add(typicalResponse)
	f.Fuzz(func(t *testing.T, buf []byte) {
		for _, lim := range fuzzLimits {
			var r, r2 Response
			n, err := ParseResponse(buf, &r, lim)
			n2, err2 := ParseResponse(buf, &r2, lim)
			if n != n2 || err != err2 {
				t.Fatalf("not deterministic: %d %v / %d %v", n, err, n2, err2)
			}
			if err != nil {
				checkErr(t, err, 502)
				if err == ErrIncomplete && len(buf) > lim.headBytes() {
					t.Fatalf("ErrIncomplete over limit")
				}
				continue
			}
			if n != r.HeadLen || n > len(buf) || n > lim.headBytes() {
				t.Fatalf("n=%d HeadLen=%d len=%d", n, r.HeadLen, len(buf))
			}
			head := buf[:n]
			if !within(r.Reason, head) || bytes.ContainsAny(r.Reason, "\r\n\x00") {
				t.Fatalf("bad reason %q", r.Reason)
			}
			for _, h := range r.Headers {
				if !within(h.Name, head) || !within(h.Value, head) || hasCTL(h.Name) || bytes.ContainsAny(h.Value, "\r\n\x00") {
					t.Fatalf("bad header %q: %q", h.Name, h.Value)
				}
			}
			if r.Status < 100 || r.Status > 599 || r.ContentLength < -1 || (r.Chunked && r.ContentLength >= 0) {
				t.Fatalf("status=%d cl=%d chunked=%v", r.Status, r.ContentLength, r.Chunked)
			}
			for _, k := range []int{0, n / 2, n - 1} {
				if _, err := ParseResponse(buf[:k], &r2, lim); err != ErrIncomplete {
					t.Fatalf("prefix %d of a valid head: %v", k, err)
				}
			}
		}
	})
}

func FuzzChunkedScanner(f *testing.F) {
	for _, tc := range chunkedCases {
		f.Add([]byte(tc.body), uint(len(tc.body)/2))
	}
	f.Add(chunkedBody, uint(1030))
	f.Fuzz(func(t *testing.T, body []byte, split uint) {
		lim := Limits{MaxHeadBytes: 64, MaxHeaderFields: 3}
		n0, d0, s0 := scanAll(body, lim)
		if n0 > len(body) || (s0 != 0 && s0 != 400) || (d0 && s0 != 0) {
			t.Fatalf("n=%d done=%v status=%d", n0, d0, s0)
		}
		cut := 0
		if len(body) > 0 {
			cut = int(split % uint(len(body)+1))
		}
		n, d, s := scanAll(body, lim, cut)
		if d != d0 || s != s0 || (d && n != n0) {
			t.Fatalf("split at %d: n=%d done=%v status=%d; whole: n=%d done=%v status=%d", cut, n, d, s, n0, d0, s0)
		}
		if len(body) <= 256 {
			cuts := make([]int, len(body))
			for i := range cuts {
				cuts[i] = i
			}
			n, d, s := scanAll(body, lim, cuts...)
			if d != d0 || s != s0 || (d && n != n0) {
				t.Fatalf("byte at a time: n=%d done=%v status=%d; whole: n=%d done=%v status=%d", n, d, s, n0, d0, s0)
			}
		}
		if d0 {
			// The body alone is complete too, and any proper prefix is not.
			if n, d, s := scanAll(body[:n0], lim); !d || s != 0 || n != n0 {
				t.Fatalf("body alone: n=%d done=%v status=%d", n, d, s)
			}
			if _, d, s := scanAll(body[:n0-1], lim); d || s != 0 {
				t.Fatalf("prefix: done=%v status=%d", d, s)
			}
		}
	})
}
