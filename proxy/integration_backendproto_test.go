package proxy_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// TestBackendProtocolsAgree sends the same hand-written HTTP/1.1 requests
// through one listener to two origins with the same handler, one speaking
// HTTP/1.1 and one HTTP/2 (h2c, backend_protocol h2): what the client sees
// must not depend on the backend's protocol. For each request it compares
// the status, the body, the trailers and whether the connection stays open
// (an open one must then serve a next request). The one difference meant
// to be: the proxy answers Expect: 100-continue itself for an HTTP/2
// backend (see docs/http.md), so an early answer (a final status before
// the body is read) follows a 100 there; only statuses are compared then.
func TestBackendProtocolsAgree(t *testing.T) {
	h := startProxy(t, nil)
	h1o := newOrigin(t, "h1", agreeHandler)
	h2o := newH2Origin(t, "h2", nil, agreeHandler, nil)
	h.route("h1.test", h1o.Addr)
	id := h.route("h2.test", h2o.Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})

	type step struct {
		name, method, head string // head: the request's fields after Host, each ending in CRLF
		body               string
		after              bool // the body goes in a write of its own, a moment after the head
		expect100          bool // the client sends its body only after a 100
		statusOnly         bool // only the status is compared (see above)
	}
	steps := []step{
		{name: "get", method: "GET", head: "GET /echo HTTP/1.1\r\n"},
		{name: "head", method: "HEAD", head: "HEAD /echo HTTP/1.1\r\n"},
		{name: "post with its head", method: "POST", head: "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n", body: "hello"},
		{name: "post after its head", method: "POST", head: "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n", body: "hello", after: true},
		{name: "chunked after its head", method: "POST", head: "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
			body: "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n", after: true},
		{name: "expect 100", method: "POST", head: "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n",
			body: "hello", expect100: true},
		{name: "204", method: "GET", head: "GET /204 HTTP/1.1\r\n"},
		{name: "304", method: "GET", head: "GET /304 HTTP/1.1\r\nIf-None-Match: \"v1\"\r\n"},
		{name: "big", method: "GET", head: "GET /big HTTP/1.1\r\n"},
		{name: "streamed", method: "GET", head: "GET /stream HTTP/1.1\r\n"},
		{name: "trailers", method: "GET", head: "GET /trailers HTTP/1.1\r\n"},
		{name: "early answer", method: "POST", head: "POST /early HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n",
			body: "hello", expect100: true, statusOnly: true},
	}
	type outcome struct {
		interim  string
		status   int
		body     string
		trailers string
		closed   bool
	}
	run := func(host string, s step) outcome {
		t.Helper()
		c := dialRaw(t, h.Addr)
		c.write(strings.Replace(s.head, "\r\n", "\r\nHost: "+host+"\r\n", 1) + "\r\n")
		var o outcome
		switch {
		case s.expect100:
			// The body goes once a 100 came; an early final answer is
			// read as the response.
			line, err := c.BR.Peek(12)
			if err != nil {
				t.Fatalf("%s %s: waiting for an answer to the head: %v", host, s.name, err)
			}
			if string(line) == "HTTP/1.1 100" {
				if _, err := readHead(c.BR); err != nil {
					t.Fatal(err)
				}
				o.interim = "100"
				c.write(s.body)
			}
		case s.after:
			time.Sleep(20 * time.Millisecond)
			c.write(s.body)
		default:
			c.write(s.body)
		}
		resp, body := c.read(s.method)
		o.status, o.body, o.closed = resp.StatusCode, body, resp.Close
		o.trailers = fmt.Sprint(resp.Trailer)
		if o.closed {
			c.expectClosed(ioTimeout)
		} else { // the connection serves on
			c.write("GET /echo HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
			if resp, body := c.read("GET"); resp.StatusCode != 200 || body != `GET ""` {
				t.Errorf("%s %s: the next request on the connection got %d %q", host, s.name, resp.StatusCode, body)
			}
		}
		return o
	}
	for _, s := range steps {
		one, two := run("h1.test", s), run("h2.test", s)
		t.Logf("%s: %+v / %+v", s.name, one, two)
		if s.statusOnly {
			if one.status != two.status {
				t.Errorf("%s: status %d from the HTTP/1.1 backend, %d from the HTTP/2 one", s.name, one.status, two.status)
			}
			continue
		}
		if one != two {
			t.Errorf("%s: the client saw\n  %+v from the HTTP/1.1 backend,\n  %+v from the HTTP/2 one", s.name, one, two)
		}
	}
}

// requestIDText is where the proxy's own answers name the request.
var requestIDText = regexp.MustCompile(`Request id: [^<]+`)

// agreeHandler is the origins' handler of the backend-protocol tables.
func agreeHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/echo":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %q", r.Method, b)
	case "/204":
		w.WriteHeader(204)
	case "/304":
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(304)
			return
		}
		io.WriteString(w, "fresh")
	case "/big":
		io.WriteString(w, strings.Repeat("0123456789abcdef", 16<<10)) // 256 KiB
	case "/stream":
		for i := range 3 {
			fmt.Fprintf(w, "part %d;", i)
			w.(http.Flusher).Flush()
		}
	case "/trailers":
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
	case "/early":
		http.Error(w, "too large", 413) // the body is never read
	}
}

// TestBackendProtocolsAgreeEachFront is TestBackendProtocolsAgree through
// both fronts with net/http's client (HTTP/1.1, and HTTP/2 over TLS):
// status, body and trailers do not depend on the backend's protocol,
// bodies of known and unknown length (written after the head) included,
// and one of unknown length past max_body_bytes is answered 413.
func TestBackendProtocolsAgreeEachFront(t *testing.T) {
	const maxBody = 100 << 10
	eachFrontWith(t, func(t *testing.T, c *proxy.Config) { c.MaxBodyBytes = maxBody }, func(t *testing.T, f *front) {
		h1o := newOrigin(t, "h1", agreeHandler)
		h2o := newH2Origin(t, "h2", nil, agreeHandler, nil)
		f.route("h1.test", h1o.Addr)
		h2Route(f, "h2.test", order.H2, nil, h2o.Addr)
		type outcome struct {
			status         int
			body, trailers string
		}
		do := func(host, method, path string, body func() io.Reader, hdr string) outcome {
			var rd io.Reader
			if body != nil {
				rd = body()
			}
			req := f.request(method, host, path, rd)
			if k, v, ok := strings.Cut(hdr, ": "); ok {
				req.Header.Set(k, v)
			}
			resp, b := f.send(req)
			b = requestIDText.ReplaceAllString(b, "Request id: ID") // the proxy's own answers name it
			return outcome{resp.StatusCode, b, fmt.Sprint(resp.Trailer)}
		}
		later := func() io.Reader { // a body of unknown length, after the head
			pr, pw := io.Pipe()
			go func() {
				time.Sleep(20 * time.Millisecond)
				io.WriteString(pw, "hel")
				io.WriteString(pw, "lo")
				pw.Close()
			}()
			return pr
		}
		tooLong := func() io.Reader { // an unknown length past max_body_bytes
			pr, pw := io.Pipe()
			go func() {
				time.Sleep(20 * time.Millisecond)
				block := strings.Repeat("x", 16<<10)
				for range 2 * maxBody / len(block) {
					if _, err := io.WriteString(pw, block); err != nil {
						return // the proxy answered and the client stopped sending
					}
				}
				pw.Close()
			}()
			return pr
		}
		for _, c := range []struct {
			name, method, path string
			body               func() io.Reader
			hdr                string
		}{
			{"unknown length past max_body_bytes", "POST", "/echo", tooLong, ""},
			{"get", "GET", "/echo", nil, ""},
			{"head", "HEAD", "/echo", nil, ""},
			{"post", "POST", "/echo", func() io.Reader { return strings.NewReader("hello") }, ""},
			{"post unknown length", "POST", "/echo", later, ""},
			{"204", "GET", "/204", nil, ""},
			{"304", "GET", "/304", nil, `If-None-Match: "v1"`},
			{"big", "GET", "/big", nil, ""},
			{"streamed", "GET", "/stream", nil, ""},
			{"trailers", "GET", "/trailers", nil, ""},
		} {
			one, two := do("h1.test", c.method, c.path, c.body, c.hdr), do("h2.test", c.method, c.path, c.body, c.hdr)
			if one != two {
				t.Errorf("%s: the client saw\n  %+v from the HTTP/1.1 backend,\n  %+v from the HTTP/2 one", c.name, one, two)
			}
			if one.status == 0 || c.name == "get" && one.body != `GET ""` || c.name == "trailers" && one.trailers != "map[X-Sum:[42]]" ||
				strings.HasPrefix(c.name, "unknown length past") && one.status != 413 {
				t.Errorf("%s: %+v", c.name, one)
			}
		}
	})
}

// TestBackendProtocolsAgreeOnFailures is TestBackendProtocolsAgree for
// what goes wrong: a body over max_body_bytes (declared, and chunked past
// it), a malformed chunked body, a backend silent past back_timeout, one
// that breaks its response off, and one that cannot be reached. The client
// sees the same status (0: no response) and the same fate of its
// connection from an HTTP/1.1 and an HTTP/2 backend, and the origin gets
// the request as many times: a silent backend is not sent it twice (at
// d8c9213 a GET timed out, was sent again on a new connection and timed
// out again, twice back_timeout, from an HTTP/1.1 backend only).
func TestBackendProtocolsAgreeOnFailures(t *testing.T) {
	release := make(chan struct{})
	handler := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select { // silent past back_timeout; the test's end frees it
			case <-release:
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/cut":
			// Larger than the proxy's buffer: from an HTTP/2 backend a
			// small body of known length is read whole before the head
			// goes, and one cut short is answered 502 instead.
			w.Header().Set("Content-Length", "1048576")
			io.WriteString(w, strings.Repeat("z", 64<<10))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		default:
			n, _ := io.Copy(io.Discard, r.Body)
			fmt.Fprintf(w, "read %d", n)
		}
	}
	logs := &syncBuffer{}
	al, err := accesslog.New(accesslog.Config{Output: logs, Format: accesslog.JSON})
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	h := startProxy(t, func(c *proxy.Config) {
		c.AccessLog = al
		c.Listeners[0].MaxBodyBytes = 1000
		c.Listeners[0].BackTimeout = order.Duration(300 * time.Millisecond)
	})
	defer close(release)
	h1o := newOrigin(t, "h1", handler)
	h2o := newH2Origin(t, "h2", nil, handler, nil)
	h.route("h1.test", h1o.Addr)
	id := h.route("h2.test", h2o.Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})
	dead := freeAddr(t) // nothing listens there
	h.route("h1dead.test", dead)
	id = h.route("h2dead.test", dead)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})

	big := strings.Repeat("x", 2000)
	chunkedBig := "400\r\n" + strings.Repeat("y", 1024) + "\r\n400\r\n" + strings.Repeat("y", 1024) + "\r\n0\r\n\r\n"
	type outcome struct {
		status int
		closed bool
		sent   int64  // requests the origin got
		logged string // the access log line's error
	}
	// lastError waits for access log line n and returns its error field.
	lastError := func(n int) string {
		var lines []string
		eventually(t, ioTimeout, "the access log line", func() bool {
			lines = strings.Fields(logs.String()) // JSON lines have no spaces
			return len(lines) >= n
		})
		var e struct {
			Error *string `json:"error"`
		}
		if err := json.Unmarshal([]byte(lines[n-1]), &e); err != nil {
			t.Fatalf("access log line %q: %v", lines[n-1], err)
		}
		if e.Error == nil {
			return ""
		}
		return *e.Error
	}
	lines := 0
	origins := map[string]*origin{"h1": h1o, "h2": h2o}
	for _, c := range []struct {
		name, host, head, body string
		after                  bool
	}{
		{"declared length over max_body_bytes", "%s.test", "POST /up HTTP/1.1\r\nContent-Length: 2000\r\n", big, false},
		{"chunked past max_body_bytes", "%s.test", "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", chunkedBig, true},
		{"malformed chunk", "%s.test", "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\nzz\r\n", true},
		{"silent backend", "%s.test", "GET /slow HTTP/1.1\r\n", "", false},
		{"response cut off", "%s.test", "GET /cut HTTP/1.1\r\n", "", false},
		{"backend down", "%sdead.test", "GET / HTTP/1.1\r\n", "", false},
	} {
		var got [2]outcome
		for i, proto := range []string{"h1", "h2"} {
			host := fmt.Sprintf(c.host, proto)
			before := origins[proto].Requests.Load()
			rc := dialRaw(t, h.Addr)
			rc.write(strings.Replace(c.head, "\r\n", "\r\nHost: "+host+"\r\n", 1) + "\r\n")
			if c.after {
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := io.WriteString(rc.C, c.body); err != nil {
				t.Logf("%s %s: the body could not go: %v", host, c.name, err)
			}
			resp, err := http.ReadResponse(rc.BR, &http.Request{Method: "GET"})
			if err != nil {
				got[i] = outcome{closed: true, sent: origins[proto].Requests.Load() - before}
				lines++
				got[i].logged = lastError(lines)
				continue
			}
			_, berr := io.ReadAll(resp.Body)
			resp.Body.Close()
			got[i] = outcome{status: resp.StatusCode, closed: resp.Close || berr != nil}
			if berr != nil {
				got[i].status = -resp.StatusCode // a head, then a body cut short
			}
			if got[i].closed {
				rc.expectClosed(ioTimeout)
			}
			got[i].sent = origins[proto].Requests.Load() - before
			lines++
			got[i].logged = lastError(lines)
		}
		t.Logf("%s: %+v / %+v", c.name, got[0], got[1])
		if got[0] != got[1] {
			t.Errorf("%s: the client saw %+v from the HTTP/1.1 backend, %+v from the HTTP/2 one", c.name, got[0], got[1])
		}
	}
}

// TestBackendProtocolsAgreeOnPolicies: the cluster's compression and
// header edits give the client the same response from an HTTP/1.1 and an
// HTTP/2 backend, through both fronts: the same encoding and fields, and
// after decoding the same body and trailers.
func TestBackendProtocolsAgreeOnPolicies(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		handler := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Secret", "s")
			text := strings.Repeat("edited request: "+r.Header.Get("X-Req")+"; ", 200)
			switch r.URL.Path {
			case "/sized":
				w.Header().Set("Content-Length", fmt.Sprint(len(text)))
				io.WriteString(w, text)
			case "/streamed":
				w.Header().Set("Trailer", "X-Sum")
				io.WriteString(w, text[:len(text)/2])
				w.(http.Flusher).Flush()
				io.WriteString(w, text[len(text)/2:])
				w.Header().Set("X-Sum", "42")
			}
		}
		policy := func(id string) {
			f.Must(order.UpdateCluster{ID: id,
				Compression: order.Some(&order.Compression{Algorithms: []string{"gzip"}}),
				Headers: order.Some([]order.HeaderEdit{
					{Position: order.EditRequest, Action: order.EditAdd, Name: "X-Req", Value: "yes"},
					{Position: order.EditResponse, Action: order.EditSet, Name: "X-Edit", Value: "done"},
					{Position: order.EditResponse, Action: order.EditDelete, Name: "X-Secret"},
				})})
		}
		policy(f.route("h1.test", newOrigin(t, "h1", handler).Addr))
		policy(h2Route(f, "h2.test", order.H2, nil, newH2Origin(t, "h2", nil, handler, nil).Addr))
		type outcome struct {
			status                             int
			encoding, vary, edit, secret, body string
			trailers                           string
		}
		do := func(host, path string) outcome {
			req := f.request("GET", host, path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, b := f.send(req)
			o := outcome{status: resp.StatusCode, encoding: resp.Header.Get("Content-Encoding"), vary: resp.Header.Get("Vary"),
				edit: resp.Header.Get("X-Edit"), secret: resp.Header.Get("X-Secret"), trailers: fmt.Sprint(resp.Trailer)}
			if o.encoding == "gzip" {
				zr, err := gzip.NewReader(strings.NewReader(b))
				if err != nil {
					t.Fatalf("%s%s: %v", host, path, err)
				}
				plain, err := io.ReadAll(zr)
				if err != nil {
					t.Fatalf("%s%s: %v", host, path, err)
				}
				b = string(plain)
			}
			o.body = b
			return o
		}
		for _, path := range []string{"/sized", "/streamed"} {
			one, two := do("h1.test", path), do("h2.test", path)
			if one != two {
				t.Errorf("%s: the client saw\n  %+v from the HTTP/1.1 backend,\n  %+v from the HTTP/2 one", path, one, two)
			}
			if one.encoding != "gzip" || one.edit != "done" || one.secret != "" || !strings.HasPrefix(one.body, "edited request: yes; ") {
				t.Errorf("%s: the policies did not apply: %+v", path, one)
			}
			if path == "/streamed" && one.trailers != "map[X-Sum:[42]]" {
				t.Errorf("%s: trailers %s", path, one.trailers)
			}
		}
	})
}

// TestEarlyAnswerReachesASendingClient: a client that sends a body the
// proxy refuses (past max_body_bytes, declared or chunked) and writes it
// whole before it reads gets the 413, not a reset: the proxy closes in
// stages (its FIN, then it drops what the client still sends), so no
// unread byte makes the kernel reset the connection under the answer.
func TestEarlyAnswerReachesASendingClient(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.Listeners[0].MaxBodyBytes = 1000 })
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	body := strings.Repeat("x", 768<<10) // more than the sockets buffer, less than lingerBytes
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	for range 10 {
		for _, c := range []struct{ head, body string }{
			{fmt.Sprintf("POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: %d\r\n\r\n", len(body)), body},
			{"POST /up HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n", chunked},
		} {
			rc := dialRaw(t, h.Addr)
			wrote := make(chan error, 1)
			go func() { // the whole request, as a client that reads afterwards
				_, err := io.WriteString(rc.C, c.head+c.body)
				wrote <- err
			}()
			resp, err := http.ReadResponse(rc.BR, &http.Request{Method: "POST"})
			if err != nil {
				t.Fatalf("%q: no answer: %v", c.head, err)
			}
			if _, err := io.ReadAll(resp.Body); err != nil {
				t.Fatalf("%q: the answer's body: %v", c.head, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 413 || !resp.Close {
				t.Fatalf("%q: %d, close %v; want 413 and the connection closing", c.head, resp.StatusCode, resp.Close)
			}
			if err := <-wrote; err != nil {
				t.Fatalf("%q: the client's body could not go whole: %v", c.head, err)
			}
			rc.expectClosed(ioTimeout)
		}
	}
}

// TestBackendProtocolsAgreeOnEarlyHints: a 103 (Early Hints) an origin
// sends before its answer reaches an HTTP/1.1 client with its Link field,
// from an HTTP/1.1 and from an HTTP/2 backend alike, and the answer
// follows on the same connection.
func TestBackendProtocolsAgreeOnEarlyHints(t *testing.T) {
	handler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(103)
		w.Header().Del("Link")
		io.WriteString(w, "page")
	}
	h := startProxy(t, nil)
	h.route("h1.test", newOrigin(t, "h1", handler).Addr)
	id := h.route("h2.test", newH2Origin(t, "h2", nil, handler, nil).Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})
	for _, host := range []string{"h1.test", "h2.test"} {
		c := dialRaw(t, h.Addr)
		for range 2 {
			c.write("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
			lines, err := readHead(c.BR)
			if err != nil {
				t.Fatalf("%s: %v", host, err)
			}
			if len(lines) == 0 || !strings.HasPrefix(lines[0], "HTTP/1.1 103 ") {
				t.Fatalf("%s: first head %q, want a 103", host, lines)
			}
			if got := headerValues(lines, "Link"); len(got) != 1 || got[0] != "</style.css>; rel=preload; as=style" {
				t.Errorf("%s: the 103's Link fields: %q", host, got)
			}
			resp, body := c.read("GET")
			wantStatus(t, resp, body, 200)
			if body != "page" {
				t.Errorf("%s: body %q", host, body)
			}
		}
	}
}

// TestBackendProtocolsAgreeOnEarlyHintsEachFront is the same through both
// fronts with net/http's client, which sees the 103 through its trace.
func TestBackendProtocolsAgreeOnEarlyHintsEachFront(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		handler := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload; as=style")
			w.WriteHeader(103)
			w.Header().Del("Link")
			io.WriteString(w, "page")
		}
		f.route("h1.test", newOrigin(t, "h1", handler).Addr)
		h2Route(f, "h2.test", order.H2, nil, newH2Origin(t, "h2", nil, handler, nil).Addr)
		for _, host := range []string{"h1.test", "h2.test"} {
			var hints []string
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				hints = append(hints, fmt.Sprint(code, " ", h.Get("Link")))
				return nil
			}}
			req := f.request("GET", host, "/", nil)
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
			resp, body := f.send(req)
			wantStatus(t, resp, body, 200)
			if fmt.Sprint(hints) != "[103 </style.css>; rel=preload; as=style]" || body != "page" {
				t.Errorf("%s: interim responses %q, body %q", host, hints, body)
			}
		}
	})
}

// TestH2BackendFieldsSorted: an HTTP/2 backend's response fields, which
// the transport hands over as a map, reach the client sorted by name (the
// values of one name in the backend's order), the same for every request.
func TestH2BackendFieldsSorted(t *testing.T) {
	h := startProxy(t, nil)
	handler := func(w http.ResponseWriter, r *http.Request) {
		for _, n := range []string{"X-Zulu", "X-Alpha", "X-Mike", "X-Bravo", "X-Yankee", "X-Echo", "X-Kilo"} {
			w.Header().Add(n, "1")
		}
		w.Header().Add("X-Alpha", "2")
		io.WriteString(w, "ok")
	}
	id := h.route("h2.test", newH2Origin(t, "h2", nil, handler, nil).Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})
	c := dialRaw(t, h.Addr)
	var first []string
	for i := range 8 {
		c.write("GET / HTTP/1.1\r\nHost: h2.test\r\n\r\n")
		lines, err := readHead(c.BR)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c.BR, make([]byte, 2)); err != nil {
			t.Fatal(err)
		}
		var xs []string
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "X-") {
				xs = append(xs, l)
			}
		}
		want := []string{"X-Alpha: 1", "X-Alpha: 2", "X-Bravo: 1", "X-Echo: 1", "X-Kilo: 1", "X-Mike: 1", "X-Yankee: 1", "X-Zulu: 1"}
		if !slices.Equal(xs, want) {
			t.Fatalf("request %d: fields %q, want %q", i, xs, want)
		}
		if i == 0 {
			first = lines[1:]
			continue
		}
		if len(lines[1:]) != len(first) {
			t.Fatalf("request %d: %d fields, the first response had %d", i, len(lines)-1, len(first))
		}
		for j, l := range lines[1:] {
			if name, _, _ := strings.Cut(l, ":"); !strings.HasPrefix(first[j], name+":") {
				t.Fatalf("request %d: field %d is %q, was %q in the first response", i, j, l, first[j])
			}
		}
	}
}
