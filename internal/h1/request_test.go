package h1

import (
	"encoding/binary"
	"strings"
	"testing"
)

type reqWant struct {
	method, path, host string
	minor              int
	cl                 int64
	chunked, keepAlive bool
	expect, upgrade    bool
	fields             int
}

func ok11(method, path, host string, cl int64) *reqWant {
	return &reqWant{method: method, path: path, host: host, minor: 1, cl: cl, keepAlive: true}
}

var requestCases = []struct {
	name   string
	in     string
	status int      // expected *Error status; 0 means success
	want   *reqWant // checked on success
}{
	{"simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, &reqWant{method: "GET", path: "/", host: "a", minor: 1, cl: -1, keepAlive: true, fields: 1}},
	{"query", "GET /x/y?q=1&r=2 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", 0, ok11("GET", "/x/y", "example.com:8080", -1)},
	{"http10 no host", "GET /a HTTP/1.0\r\n\r\n", 0, &reqWant{method: "GET", path: "/a", cl: -1}},
	{"http10 keep-alive", "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, &reqWant{method: "GET", path: "/a", cl: -1, keepAlive: true, fields: 1}},
	{"close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", 0, &reqWant{method: "GET", path: "/", host: "a", minor: 1, cl: -1, fields: 2}},
	{"post cl", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n", 0, ok11("POST", "/p", "a", 42)},
	{"cl dup same fields", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\nContent-Length: 42\r\n\r\n", 0, ok11("POST", "/p", "a", 42)},
	{"cl dup same list", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 42, 42\r\n\r\n", 0, ok11("POST", "/p", "a", 42)},
	{"cl zero", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, ok11("POST", "/p", "a", 0)},
	{"cl max", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", 0, ok11("POST", "/p", "a", 9223372036854775807)},
	{"chunked", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0, &reqWant{method: "POST", path: "/p", host: "a", minor: 1, cl: -1, chunked: true, keepAlive: true}},
	{"chunked upper case", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 0, &reqWant{method: "POST", path: "/p", host: "a", minor: 1, cl: -1, chunked: true, keepAlive: true}},
	{"expect", "PUT /p HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", 0, &reqWant{method: "PUT", path: "/p", host: "a", minor: 1, cl: 1, keepAlive: true, expect: true}},
	{"upgrade", "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 0, &reqWant{method: "GET", path: "/ws", host: "a", minor: 1, cl: -1, keepAlive: true, upgrade: true}},
	{"upgrade without header", "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", 0, ok11("GET", "/ws", "a", -1)},
	{"absolute form", "GET http://Example.com:81/a/b?c HTTP/1.1\r\nHost: other\r\n\r\n", 0, ok11("GET", "/a/b", "Example.com:81", -1)},
	{"absolute form no path", "GET https://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n", 0, ok11("GET", "/", "example.com", -1)},
	{"absolute form 1.0 no host", "GET http://h/ HTTP/1.0\r\n\r\n", 0, &reqWant{method: "GET", path: "/", host: "h", cl: -1}},
	{"options star", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, ok11("OPTIONS", "*", "a", -1)},
	{"leading crlf", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, ok11("GET", "/", "a", -1)},
	{"ipv6 host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0, ok11("GET", "/", "[::1]:8080", -1)},
	{"ows value", "GET / HTTP/1.1\r\nHost:\t a \t\r\nX:\r\n\r\n", 0, ok11("GET", "/", "a", -1)},
	{"obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", 0, ok11("GET", "/", "a", -1)},
	{"custom method", "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", 0, ok11("PURGE", "/x", "a", -1)},

	{"too many leading crlf", strings.Repeat("\r\n", 5) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"leading bare lf", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"cl and te", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, nil},
	{"te and cl", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, nil},
	{"cl differ", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, nil},
	{"cl differ list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n", 400, nil},
	{"cl leading zero dup", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 03\r\n\r\n", 400, nil},
	{"cl plus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400, nil},
	{"cl minus", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, nil},
	{"cl empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400, nil},
	{"cl empty elem", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3,\r\n\r\n", 400, nil},
	{"cl hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400, nil},
	{"cl overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 400, nil},
	{"cl inner space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400, nil},
	{"te chunked gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, nil},
	{"gzip chunked", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n", 501, nil},
	{"te two fields", "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501, nil},
	{"te chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, nil},
	{"te chunked two fields", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, nil},
	{"te xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400, nil},
	{"te vtab", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \x0bchunked\r\n\r\n", 400, nil},
	{"te empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400, nil},
	{"te trailing comma", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", 400, nil},
	{"te http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, nil},
	{"bare cr value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, nil},
	{"bare cr line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400, nil},
	{"bare lf field", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400, nil},
	{"bare lf end", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400, nil},
	{"bare lf request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400, nil},
	{"nul value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, nil},
	{"nul name", "GET / HTTP/1.1\r\nHost: a\r\nX\x00: b\r\n\r\n", 400, nil},
	{"del value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400, nil},
	{"high byte name", "GET / HTTP/1.1\r\nHost: a\r\nX\xe9: b\r\n\r\n", 400, nil},
	{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400, nil},
	{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, nil},
	{"tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX\t: b\r\n\r\n", 400, nil},
	{"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400, nil},
	{"no colon", "GET / HTTP/1.1\r\nHost: a\r\nXYZ\r\n\r\n", 400, nil},
	{"name with slash", "GET / HTTP/1.1\r\nHost: a\r\nX/Y: b\r\n\r\n", 400, nil},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"two spaces after target", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, nil},
	{"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"version 1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, nil},
	{"http09", "GET /\r\n\r\n", 400, nil},
	{"missing version", "GET / \r\nHost: a\r\n\r\n", 400, nil},
	{"http2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, nil},
	{"http12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, nil},
	{"method non token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"target ctl", "GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"target high byte", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"target relative", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"absolute ftp", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"absolute empty authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"absolute userinfo", "GET http://u@a/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"absolute bad port", "GET http://a:8x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"star not options", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, nil},
	{"connect", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501, nil},
	{"missing host", "GET / HTTP/1.1\r\n\r\n", 400, nil},
	{"absolute missing host", "GET http://a/ HTTP/1.1\r\n\r\n", 400, nil},
	{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, nil},
	{"two hosts 1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400, nil},
	{"empty host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", 400, nil},
	{"host space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, nil},
	{"host slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, nil},
	{"host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, nil},
	{"host bad pct", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400, nil},
	{"host two colons", "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", 400, nil},
	{"host long port", "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400, nil},
}

func checkRequest(t *testing.T, r *Request, w *reqWant) {
	t.Helper()
	if string(r.Method) != w.method || string(r.Path) != w.path || string(r.Host) != w.host ||
		r.Minor != w.minor || r.ContentLength != w.cl || r.Chunked != w.chunked ||
		r.KeepAlive != w.keepAlive || r.Expect100 != w.expect || r.Upgrade != w.upgrade {
		t.Errorf("got method=%q path=%q host=%q minor=%d cl=%d chunked=%v ka=%v expect=%v upgrade=%v, want %+v",
			r.Method, r.Path, r.Host, r.Minor, r.ContentLength, r.Chunked, r.KeepAlive, r.Expect100, r.Upgrade, *w)
	}
	if w.fields != 0 && len(r.Headers) != w.fields {
		t.Errorf("got %d headers, want %d", len(r.Headers), w.fields)
	}
}

func errStatus(err error) int {
	if e, ok := err.(*Error); ok {
		return e.Status
	}
	return -1
}

func TestParseRequestTable(t *testing.T) {
	var r Request
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseRequest([]byte(tc.in), &r, Limits{})
			if tc.status != 0 {
				if got := errStatus(err); got != tc.status {
					t.Fatalf("err = %v (status %d), want status %d", err, got, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if n != len(tc.in) || r.HeadLen != n {
				t.Fatalf("n = %d, HeadLen = %d, want %d", n, r.HeadLen, len(tc.in))
			}
			checkRequest(t, &r, tc.want)
		})
	}
}

func TestParseRequestHeadersAndKinds(t *testing.T) {
	in := "GET /x HTTP/1.1\r\nhOsT: a\r\nX-Forwarded-For:  1.2.3.4 \r\nCONNECTION: keep-alive, X-Secret\r\nX-Secret: s\r\nSluice-Request-Id: r1\r\n\r\nBODY"
	var r Request
	n, err := ParseRequest([]byte(in), &r, Limits{})
	if err != nil || n != len(in)-4 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	want := []struct {
		name, value string
		kind        HeaderKind
	}{
		{"hOsT", "a", HeaderHost},
		{"X-Forwarded-For", "1.2.3.4", HeaderXForwardedFor},
		{"CONNECTION", "keep-alive, X-Secret", HeaderConnection},
		{"X-Secret", "s", HeaderOther},
		{"Sluice-Request-Id", "r1", HeaderSluiceRequestID},
	}
	if len(r.Headers) != len(want) {
		t.Fatalf("got %d headers", len(r.Headers))
	}
	for i, w := range want {
		h := r.Headers[i]
		if string(h.Name) != w.name || string(h.Value) != w.value || h.Kind != w.kind {
			t.Errorf("header %d = %q %q %d, want %+v", i, h.Name, h.Value, h.Kind, w)
		}
	}
	if !r.ConnectionListed([]byte("x-secret")) || !r.ConnectionListed([]byte("Keep-Alive")) {
		t.Error("ConnectionListed missed a nominated field")
	}
	if r.ConnectionListed([]byte("x-secre")) || r.ConnectionListed([]byte("host")) {
		t.Error("ConnectionListed reported a field that is not listed")
	}
}

func TestClassifyHeader(t *testing.T) {
	names := map[string]HeaderKind{
		"Host": HeaderHost, "content-length": HeaderContentLength, "Transfer-Encoding": HeaderTransferEncoding,
		"Connection": HeaderConnection, "Keep-Alive": HeaderKeepAlive, "Proxy-Connection": HeaderProxyConnection,
		"te": HeaderTE, "Trailer": HeaderTrailer, "UPGRADE": HeaderUpgrade, "Expect": HeaderExpect,
		"X-Forwarded-For": HeaderXForwardedFor, "X-Forwarded-Proto": HeaderXForwardedProto,
		"X-Forwarded-Port": HeaderXForwardedPort, "Forwarded": HeaderForwarded, "X-Request-ID": HeaderXRequestID,
		"Sluice-Request-Id": HeaderSluiceRequestID, "Cookie": HeaderCookie, "HTTP2-Settings": HeaderHTTP2Settings,
		"x-client-cert-SUBJECT": HeaderClientCertDN, "X-Client-Cert-Fingerprint": HeaderClientCertFP,
		"traceparent": HeaderTraceparent, "TraceState": HeaderTracestate, "traceparenT": HeaderTraceparent,
		"tracestatf": HeaderOther, "traceparens": HeaderOther,
		"Hos": HeaderOther, "Hostx": HeaderOther, "Content-Lengtx": HeaderOther, "X-Forwarded-Fox": HeaderOther,
		"Set-Cookie": HeaderOther, "Cookif": HeaderOther, "": HeaderOther, "Tf": HeaderOther,
	}
	for n, k := range names {
		if got := ClassifyHeader([]byte(n)); got != k {
			t.Errorf("ClassifyHeader(%q) = %d, want %d", n, got, k)
		}
	}
}

func TestRequestLimits(t *testing.T) {
	lim := Limits{MaxHeadBytes: 64, MaxHeaderFields: 2}
	var r Request
	cases := []struct {
		name   string
		in     string
		status int
	}{
		{"fits exactly", "GET /" + strings.Repeat("a", 64-len("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) + " HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"one over", "GET /" + strings.Repeat("a", 65-len("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) + " HTTP/1.1\r\nHost: a\r\n\r\n", 431},
		{"long line incomplete", "GET /" + strings.Repeat("a", 100), 414},
		{"long line complete", "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
		{"long fields incomplete", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 60), 431},
		{"too many fields", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", 431},
		{"two fields ok", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n", 0},
		{"under limit incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", -1},
	}
	for _, tc := range cases {
		_, err := ParseRequest([]byte(tc.in), &r, lim)
		switch tc.status {
		case 0:
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		case -1:
			if err != ErrIncomplete {
				t.Errorf("%s: err = %v, want ErrIncomplete", tc.name, err)
			}
		default:
			if got := errStatus(err); got != tc.status {
				t.Errorf("%s: err = %v, want status %d", tc.name, err, tc.status)
			}
		}
	}
	// Defaults: 32768 bytes.
	big := "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 40000)
	if got := errStatus(func() error { _, e := ParseRequest([]byte(big), &r, Limits{}); return e }()); got != 431 {
		t.Errorf("default limit: status %d, want 431", got)
	}
	many := "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 100) + "\r\n"
	if got := errStatus(func() error { _, e := ParseRequest([]byte(many), &r, Limits{}); return e }()); got != 431 {
		t.Errorf("default field limit: status %d, want 431", got)
	}
}

// TestParseRequestIncremental feeds every valid table case one byte at a time.
func TestParseRequestIncremental(t *testing.T) {
	var r, whole Request
	for _, tc := range requestCases {
		if tc.status != 0 {
			continue
		}
		in := []byte(tc.in + "NEXT")
		hl := len(tc.in)
		if _, err := ParseRequest(in, &whole, Limits{}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for k := 0; k < hl; k++ {
			if _, err := ParseRequest(in[:k], &r, Limits{}); err != ErrIncomplete {
				t.Fatalf("%s: prefix %d: err = %v, want ErrIncomplete", tc.name, k, err)
			}
		}
		for k := hl; k <= len(in); k++ {
			n, err := ParseRequest(in[:k], &r, Limits{})
			if err != nil || n != hl {
				t.Fatalf("%s: prefix %d: n=%d err=%v", tc.name, k, n, err)
			}
			checkRequest(t, &r, tc.want)
			if len(r.Headers) != len(whole.Headers) {
				t.Fatalf("%s: header count differs", tc.name)
			}
		}
	}
}

func TestRequestFraming(t *testing.T) {
	cases := []struct {
		in   string
		want Framing
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", FramingNone},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", FramingNone},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", FramingLength},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", FramingChunked},
	}
	var r Request
	for _, tc := range cases {
		if _, err := ParseRequest([]byte(tc.in), &r, Limits{}); err != nil {
			t.Fatal(err)
		}
		if got := r.Framing(); got != tc.want {
			t.Errorf("%q: Framing = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	_, err := ParseRequest([]byte("GET / HTTP/1.1\r\n\r\n"), new(Request), Limits{})
	if err == nil || err.Error() != "h1: 400 missing Host header" {
		t.Fatalf("Error() = %v", err)
	}
}

// TestAppendOrigin: every target form becomes origin-form.
func TestAppendOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b?c":               "/a/b?c",
		"*":                    "*",
		"http://h/a?b":         "/a?b",
		"http://h:81":          "/",
		"https://h?x=1":        "/?x=1",
		"HTTP://[::1]:8/p/q":   "/p/q",
		"http://h.example/":    "/",
		"https://h.example/?/": "/?/",
	} {
		method := "GET"
		if in == "*" {
			method = "OPTIONS"
		}
		var r Request
		if _, err := ParseRequest([]byte(method+" "+in+" HTTP/1.1\r\nHost: h\r\n\r\n"), &r, Limits{}); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := string(r.AppendOrigin(nil)); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// TestVersionWords: the words parseVersion compares are the versions'.
func TestVersionWords(t *testing.T) {
	if http11 != binary.LittleEndian.Uint64([]byte("HTTP/1.1")) || http10 != binary.LittleEndian.Uint64([]byte("HTTP/1.0")) {
		t.Fatal("http11/http10 are not HTTP/1.1 and HTTP/1.0")
	}
}
