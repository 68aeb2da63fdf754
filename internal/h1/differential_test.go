package h1

import (
	"bufio"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// The differential test feeds each case to ParseRequest and to net/http's
// request parser (http.ReadRequest plus the checks net/http's server applies
// to the first request of a connection: supported version, Host presence and
// validity, field name and value validity). Where they disagree the case must
// say why: stricter when Sluice rejects what net/http accepts, differs when
// Sluice accepts what net/http rejects or both accept with different results.
// The test fails on an unlisted disagreement and on a listed one that no
// longer exists.

func get(fields string) string  { return "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n" }
func post(fields string) string { return "POST / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n" }

var differentialCases = []struct {
	name, in          string
	stricter, differs string
}{
	// Baseline.
	{name: "simple get", in: get("")},
	{name: "get with query", in: "GET /a/b?c=d&e HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{name: "lowercase method", in: "get / HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "fragment in target", in: "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", stricter: "a fragment is no part of a request-target (RFC 9112 §3.2); HAProxy refuses it too (CVE-2023-45539)"},
	{name: "post content-length", in: post("Content-Length: 5\r\n")},
	{name: "post chunked", in: post("Transfer-Encoding: chunked\r\n")},
	{name: "expect 100-continue", in: post("Expect: 100-continue\r\nContent-Length: 5\r\n")},
	{name: "connection close", in: get("Connection: close\r\n")},
	{name: "obs-text in value", in: get("X-Name: caf\xc3\xa9 \xff\r\n")},
	{name: "ows around value", in: get("X: \t v \t\r\n")},
	{name: "empty value", in: get("X:\r\n")},

	// Transfer-Encoding smuggling variants.
	{name: "CL then TE", in: post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), stricter: "net/http drops Content-Length when chunked is present; Sluice rejects the pair (RFC 9112 §6.3 allows either, rejecting closes the smuggling vector)"},
	{name: "TE then CL", in: post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), stricter: "as CL then TE"},
	{name: "TE twice in fields", in: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")},
	{name: "TE chunked chunked", in: post("Transfer-Encoding: chunked, chunked\r\n")},
	{name: "TE leading space", in: post("Transfer-Encoding:  chunked\r\n")},
	{name: "TE trailing space", in: post("Transfer-Encoding: chunked \r\n")},
	{name: "TE leading tab", in: post("Transfer-Encoding:\tchunked\r\n")},
	{name: "TE vertical tab", in: post("Transfer-Encoding: \x0bchunked\r\n")},
	{name: "TE form feed", in: post("Transfer-Encoding: chunked\x0c\r\n")},
	{name: "TE xchunked", in: post("Transfer-Encoding: xchunked\r\n")},
	{name: "TE chunkedx", in: post("Transfer-Encoding: chunkedx\r\n")},
	{name: "TE upper case", in: post("Transfer-Encoding: CHUNKED\r\n")},
	{name: "TE name lower case", in: post("transfer-encoding: chunked\r\n")},
	{name: "TE gzip chunked", in: post("Transfer-Encoding: gzip, chunked\r\n")},
	{name: "TE gzip then chunked fields", in: post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")},
	{name: "TE chunked gzip", in: post("Transfer-Encoding: chunked, gzip\r\n")},
	{name: "TE identity", in: post("Transfer-Encoding: identity\r\n")},
	{name: "TE trailing comma", in: post("Transfer-Encoding: chunked,\r\n")},
	{name: "TE leading comma", in: post("Transfer-Encoding: , chunked\r\n")},
	{name: "TE with parameter", in: post("Transfer-Encoding: chunked;q=1\r\n")},
	{name: "TE empty", in: post("Transfer-Encoding: \r\n")},
	{name: "TE underscore name", in: post("Transfer_Encoding: chunked\r\n")},
	{name: "TE space before colon", in: post("Transfer-Encoding : chunked\r\n")},
	{name: "TE in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", stricter: "net/http ignores Transfer-Encoding in HTTP/1.0 requests and uses Content-Length; RFC 9112 §6.1 says the framing is faulty, Sluice rejects"},
	{name: "TE only in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", stricter: "as TE in HTTP/1.0"},

	// Content-Length variants.
	{name: "CL plus", in: post("Content-Length: +5\r\n")},
	{name: "CL minus", in: post("Content-Length: -5\r\n")},
	{name: "CL ows", in: post("Content-Length:  5 \r\n")},
	{name: "CL leading zeros", in: post("Content-Length: 005\r\n")},
	{name: "CL hex", in: post("Content-Length: 0x5\r\n")},
	{name: "CL inner space", in: post("Content-Length: 5 5\r\n")},
	{name: "CL huge", in: post("Content-Length: 99999999999999999999\r\n")},
	{name: "CL max int64", in: post("Content-Length: 9223372036854775807\r\n")},
	{name: "CL empty", in: post("Content-Length: \r\n")},
	{name: "CL duplicate equal", in: post("Content-Length: 5\r\nContent-Length: 5\r\n")},
	{name: "CL duplicate differ", in: post("Content-Length: 5\r\nContent-Length: 6\r\n")},
	{name: "CL duplicate leading zero", in: post("Content-Length: 5\r\nContent-Length: 05\r\n")},
	{name: "CL list equal", in: post("Content-Length: 5, 5\r\n"), differs: "RFC 9110 §8.6 lets a recipient accept a list of identical values; Sluice collapses it, net/http rejects it"},
	{name: "CL list differ", in: post("Content-Length: 5, 6\r\n")},
	{name: "CL NUL", in: post("Content-Length: 5\x00\r\n")},

	// Line and field syntax.
	{name: "obs-fold space", in: get("X: a\r\n b\r\n"), stricter: "net/http unfolds obs-fold; RFC 9112 §5.2 lets a server reject it and Sluice does"},
	{name: "obs-fold tab", in: get("X: a\r\n\tb\r\n"), stricter: "as obs-fold space"},
	{name: "obs-fold first line", in: "GET / HTTP/1.1\r\n Host: a\r\n\r\n"},
	{name: "bare CR in value", in: get("X: a\rb\r\n")},
	{name: "bare CR in request line", in: "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "bare CR ending", in: "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"},
	{name: "bare LF everywhere", in: "GET / HTTP/1.1\nHost: a\n\n", stricter: "net/http accepts bare LF line endings; Sluice requires CRLF (SPEC §6)"},
	{name: "bare LF final line", in: "GET / HTTP/1.1\r\nHost: a\r\n\n", stricter: "as bare LF everywhere"},
	{name: "bare LF in field", in: "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", stricter: "as bare LF everywhere"},
	{name: "NUL in name", in: get("X\x00Y: b\r\n")},
	{name: "NUL in value", in: get("X: a\x00b\r\n")},
	{name: "NUL in target", in: "GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "DEL in value", in: get("X: a\x7fb\r\n")},
	{name: "control in value", in: get("X: a\x01b\r\n")},
	{name: "high byte in name", in: get("X\xe9: b\r\n")},
	{name: "space before colon", in: get("X : b\r\n")},
	{name: "tab before colon", in: get("X\t: b\r\n")},
	{name: "empty field name", in: get(": b\r\n")},
	{name: "no colon", in: get("XYZ\r\n")},
	{name: "separator in name", in: get("X(Y): b\r\n")},
	{name: "too many fields", in: get(strings.Repeat("X: y\r\n", 100)), stricter: "Sluice caps a head at 100 fields by default (431); net/http only bounds the head's byte size"},
	{name: "over-long field", in: get("X: " + strings.Repeat("a", 33000) + "\r\n"), stricter: "Sluice's default MaxHeadBytes is 32 KiB (431); net/http's server default is 1 MiB"},
	{name: "over-long target", in: "GET /" + strings.Repeat("a", 33000) + " HTTP/1.1\r\nHost: a\r\n\r\n", stricter: "as over-long field (414)"},

	// Request line.
	{name: "HTTP/0.9", in: "GET /\r\n\r\n"},
	{name: "missing version", in: "GET / \r\nHost: a\r\n\r\n"},
	{name: "lowercase version", in: "GET / http/1.1\r\nHost: a\r\n\r\n"},
	{name: "HTTP/1.2", in: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", stricter: "net/http's server serves any HTTP/1.x; Sluice answers 505 to versions it cannot frame"},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\nHost: a\r\n\r\n"},
	{name: "HTTP/1.10", in: "GET / HTTP/1.10\r\nHost: a\r\n\r\n"},
	{name: "trailing space", in: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n"},
	{name: "double space after method", in: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "space in target", in: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "tab separator", in: "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "non-token method", in: "G@T / HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "high byte in target", in: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", stricter: "a request-target is ASCII (RFC 9112 §3.2); net/http passes raw bytes through"},
	{name: "relative target", in: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "leading CRLF", in: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", differs: "RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line; net/http only does so after a POST"},
	{name: "HTTP/1.0 without Host", in: "GET / HTTP/1.0\r\n\r\n"},

	// Targets and Host.
	{name: "absolute-form", in: "GET http://example.com/x?y HTTP/1.1\r\nHost: other\r\n\r\n"},
	{name: "absolute-form https no path", in: "GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{name: "absolute-form with port", in: "GET http://example.com:8080/ HTTP/1.1\r\nHost: example.com\r\n\r\n"},
	{name: "absolute-form userinfo", in: "GET http://user@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", stricter: "userinfo is forbidden in http(s) target URIs (RFC 9110 §4.2.4); net/http discards it"},
	{name: "absolute-form bad host char", in: "GET http://a<b/ HTTP/1.1\r\nHost: a\r\n\r\n", stricter: "Sluice validates the authority of an absolute-form target like a Host; net/url accepts '<' in a host"},
	{name: "absolute-form without Host", in: "GET http://example.com/ HTTP/1.1\r\n\r\n"},
	{name: "absolute-form ftp", in: "GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", stricter: "Sluice only accepts http and https absolute-form targets"},
	{name: "CONNECT", in: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", stricter: "Sluice does not tunnel: CONNECT gets 501"},
	{name: "OPTIONS *", in: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"},
	{name: "GET *", in: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", stricter: "asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)"},
	{name: "missing Host", in: "GET / HTTP/1.1\r\n\r\n"},
	{name: "duplicate Host", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"},
	{name: "duplicate Host differ", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
	{name: "empty Host", in: "GET / HTTP/1.1\r\nHost: \r\n\r\n", stricter: "an http request cannot route without an authority; Sluice rejects an empty Host"},
	{name: "Host with space", in: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"},
	{name: "Host with slash", in: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"},
	{name: "Host with userinfo", in: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"},
	{name: "Host non-digit port", in: "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", stricter: "Sluice validates uri-host [\":\" port]; net/http only checks the character set"},
	{name: "Host two colons", in: "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", stricter: "as Host non-digit port"},
	{name: "Host bad pct", in: "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", stricter: "as Host non-digit port"},
	{name: "Host underscore", in: "GET / HTTP/1.1\r\nHost: my_host.local\r\n\r\n"},
	{name: "Host ipv6", in: "GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n"},
	{name: "Host space before colon", in: "GET / HTTP/1.1\r\nHost : a\r\n\r\n"},
}

type parsed struct {
	method, path, host string
	cl                 int64 // 0 when there is no body framing, -1 for chunked (net/http's convention)
}

func goParseRequest(in string) (parsed, bool, string) {
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(in)))
	if err != nil {
		return parsed{}, false, err.Error()
	}
	if req.ProtoMajor != 1 {
		return parsed{}, false, "unsupported protocol version"
	}
	// http.ReadRequest deletes the Host field that the server checks, so
	// read the fields again with the same textproto reader.
	tp := textproto.NewReader(bufio.NewReader(strings.NewReader(in)))
	if _, err := tp.ReadLine(); err != nil {
		return parsed{}, false, err.Error()
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return parsed{}, false, err.Error()
	}
	hosts, haveHost := hdr["Host"]
	if req.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) && req.Method != "CONNECT" {
		return parsed{}, false, "missing required Host header"
	}
	if len(hosts) > 1 {
		return parsed{}, false, "too many Host headers"
	}
	if len(hosts) == 1 && !goValidHost(hosts[0]) {
		return parsed{}, false, "malformed Host header"
	}
	for k, vv := range req.Header {
		if !isToken([]byte(k)) {
			return parsed{}, false, "invalid header name"
		}
		for _, v := range vv {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
					return parsed{}, false, "invalid header value"
				}
			}
		}
	}
	p := parsed{method: req.Method, host: req.Host, cl: req.ContentLength}
	switch {
	case strings.HasPrefix(req.RequestURI, "/"):
		p.path, _, _ = strings.Cut(req.RequestURI, "?")
	case req.RequestURI == "*":
		p.path = "*"
	default:
		p.path = req.URL.EscapedPath()
		if p.path == "" {
			p.path = "/"
		}
	}
	return p, true, ""
}

// goValidHost mirrors golang.org/x/net/http/httpguts.ValidHostHeader.
func goValidHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0) {
			return false
		}
	}
	return true
}

func TestDifferentialNetHTTP(t *testing.T) {
	if len(differentialCases) < 70 {
		t.Fatalf("only %d differential cases", len(differentialCases))
	}
	seen := map[string]bool{}
	var r Request
	for _, tc := range differentialCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		_, err := ParseRequest([]byte(tc.in), &r, Limits{})
		sOK := err == nil
		if err == ErrIncomplete {
			t.Errorf("%s: Sluice reports an incomplete head", tc.name)
			continue
		}
		var sp parsed
		if sOK {
			sp = parsed{string(r.Method), string(r.Path), string(r.Host), r.ContentLength}
			if r.Chunked {
				sp.cl = -1
			} else if sp.cl < 0 {
				sp.cl = 0
			}
		}
		gp, gOK, gErr := goParseRequest(tc.in)
		var kind, detail string
		switch {
		case sOK && gOK && sp != gp:
			kind, detail = "differs", "fields: sluice "+fmtParsed(sp)+" net/http "+fmtParsed(gp)
		case sOK && !gOK:
			kind, detail = "differs", "Sluice accepts, net/http rejects: "+gErr
		case !sOK && gOK:
			kind, detail = "stricter", "Sluice rejects ("+err.Error()+"), net/http accepts"
		}
		if kind != "" {
			t.Logf("%s: %s: %s", tc.name, kind, detail)
		}
		switch {
		case kind == "stricter" && tc.stricter == "", kind == "differs" && tc.differs == "":
			t.Errorf("%s: unlisted disagreement: %s", tc.name, detail)
		case kind != "stricter" && tc.stricter != "":
			t.Errorf("%s: listed as stricter (%s) but: %s (sluice ok=%v, net/http ok=%v)", tc.name, tc.stricter, detail, sOK, gOK)
		case kind != "differs" && tc.differs != "":
			t.Errorf("%s: listed as differing (%s) but: %s (sluice ok=%v, net/http ok=%v)", tc.name, tc.differs, detail, sOK, gOK)
		}
	}
}

func fmtParsed(p parsed) string {
	return strings.Join([]string{p.method, p.path, p.host}, " ") + " cl=" + itoa(p.cl)
}

func itoa(n int64) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
