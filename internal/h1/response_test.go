package h1

import (
	"strings"
	"testing"
)

type respWant struct {
	minor, status      int
	reason             string
	cl                 int64
	chunked, keepAlive bool
	upgrade            bool
	framing, headFrame Framing // Framing(false), Framing(true)
}

var responseCases = []struct {
	name   string
	in     string
	status int // expected *Error status (502) or 0
	want   *respWant
}{
	{"ok cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, &respWant{1, 200, "OK", 5, false, true, false, FramingLength, FramingNone}},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, &respWant{1, 200, "OK", -1, true, true, false, FramingChunked, FramingNone}},
	{"until close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 0, &respWant{1, 200, "OK", -1, false, false, false, FramingUntilClose, FramingNone}},
	{"http10", "HTTP/1.0 200 Fine day\r\n\r\n", 0, &respWant{0, 200, "Fine day", -1, false, false, false, FramingUntilClose, FramingNone}},
	{"http10 keepalive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 0, &respWant{0, 200, "OK", 0, false, true, false, FramingNone, FramingNone}},
	{"no reason", "HTTP/1.1 204\r\n\r\n", 0, &respWant{1, 204, "", -1, false, true, false, FramingNone, FramingNone}},
	{"empty reason", "HTTP/1.1 404 \r\nContent-Length: 3\r\n\r\n", 0, &respWant{1, 404, "", 3, false, true, false, FramingLength, FramingNone}},
	{"304 with cl", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", 0, &respWant{1, 304, "Not Modified", 100, false, true, false, FramingNone, FramingNone}},
	{"101", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 0, &respWant{1, 101, "Switching Protocols", -1, false, true, true, FramingNone, FramingNone}},
	{"100", "HTTP/1.1 100 Continue\r\n\r\n", 0, &respWant{1, 100, "Continue", -1, false, true, false, FramingNone, FramingNone}},
	{"obs-text reason", "HTTP/1.1 200 \xe2\x9c\x93\tok\r\n\r\n", 0, &respWant{1, 200, "\xe2\x9c\x93\tok", -1, false, true, false, FramingUntilClose, FramingNone}},

	{"cl and te", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 502, nil},
	{"cl differ", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 502, nil},
	{"te not chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 502, nil},
	{"te http10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 502, nil},
	{"status 2 digits", "HTTP/1.1 20 OK\r\n\r\n", 502, nil},
	{"status 4 digits", "HTTP/1.1 2000 OK\r\n\r\n", 502, nil},
	{"status 099", "HTTP/1.1 099 X\r\n\r\n", 502, nil},
	{"status 600", "HTTP/1.1 600 X\r\n\r\n", 502, nil},
	{"http2", "HTTP/2.0 200 OK\r\n\r\n", 502, nil},
	{"lowercase", "http/1.1 200 OK\r\n\r\n", 502, nil},
	{"two spaces", "HTTP/1.1  200 OK\r\n\r\n", 502, nil},
	{"bare lf", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 502, nil},
	{"bare cr reason", "HTTP/1.1 200 O\rK\r\n\r\n", 502, nil},
	{"ctl reason", "HTTP/1.1 200 O\x01K\r\n\r\n", 502, nil},
	{"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 502, nil},
	{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", 502, nil},
	{"leading crlf", "\r\nHTTP/1.1 200 OK\r\n\r\n", 502, nil},
	{"nul value", "HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n", 502, nil},
}

func TestParseResponseTable(t *testing.T) {
	var r Response
	for _, tc := range responseCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseResponse([]byte(tc.in), &r, Limits{})
			if tc.status != 0 {
				if got := errStatus(err); got != tc.status {
					t.Fatalf("err = %v, want status %d", err, tc.status)
				}
				return
			}
			if err != nil || n != len(tc.in) || r.HeadLen != n {
				t.Fatalf("n=%d HeadLen=%d err=%v", n, r.HeadLen, err)
			}
			checkResponse(t, &r, tc.want)
		})
	}
}

func checkResponse(t *testing.T, r *Response, w *respWant) {
	t.Helper()
	got := respWant{r.Minor, r.Status, string(r.Reason), r.ContentLength, r.Chunked, r.KeepAlive, r.Upgrade, r.Framing(false), r.Framing(true)}
	if got != *w {
		t.Errorf("got %+v, want %+v", got, *w)
	}
}

func TestParseResponseIncremental(t *testing.T) {
	var r Response
	for _, tc := range responseCases {
		if tc.status != 0 {
			continue
		}
		in := []byte(tc.in + "body")
		hl := len(tc.in)
		for k := 0; k <= len(in); k++ {
			n, err := ParseResponse(in[:k], &r, Limits{})
			if k < hl {
				if err != ErrIncomplete {
					t.Fatalf("%s: prefix %d: err = %v, want ErrIncomplete", tc.name, k, err)
				}
				continue
			}
			if err != nil || n != hl {
				t.Fatalf("%s: prefix %d: n=%d err=%v", tc.name, k, n, err)
			}
			checkResponse(t, &r, tc.want)
		}
	}
}

func TestResponseLimits(t *testing.T) {
	var r Response
	lim := Limits{MaxHeadBytes: 40, MaxHeaderFields: 1}
	for _, in := range []string{
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 40),
		"HTTP/1.1 200 " + strings.Repeat("a", 40),
		"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n",
	} {
		if _, err := ParseResponse([]byte(in), &r, lim); errStatus(err) != 502 {
			t.Errorf("%q: err = %v, want 502", in, err)
		}
	}
	if _, err := ParseResponse([]byte("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), &r, lim); err != nil {
		t.Errorf("within limits: %v", err)
	}
}
