package proxy_test

// The backend of the probe runner: a raw TCP origin that records every byte
// it receives, per connection, and answers each request that net/http's
// ReadRequest (the oracle) can parse with a fixed 200. It also checks each
// parsed request against the HTTP/1.1 grammar more strictly than net/http
// does (CRLF line ends, tokens, control characters, framing fields), so a
// request that Go tolerates but another server could read differently still
// counts as malformed.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// probeOrigin is one recorder behind several listeners, each with a label
// (the cluster it serves).
type probeOrigin struct {
	Addrs map[string]string // label -> address

	mu    sync.Mutex
	total int64 // bytes received on every connection
	conns []*originConn
	reqs  []*originReq
	errs  []originErr
	seq   int
}

// originConn is what one backend connection received.
type originConn struct {
	id     int
	label  string
	buf    []byte // every byte received
	done   int    // end of the last request read whole
	closed bool
}

// originReq is one request the oracle parsed, with its raw bytes.
type originReq struct {
	label    string
	conn     int
	head     []byte // raw head, CRLFCRLF included
	rawBody  []byte // raw body bytes (chunked framing included)
	body     []byte // decoded body
	req      *http.Request
	problems []string // strict grammar violations
}

// originErr is input the oracle could not read as requests.
type originErr struct {
	conn       int
	label      string
	incomplete bool // the peer closed (or stalled) in the middle of a request
	msg        string
	bytes      []byte // the unparsed bytes
}

func newProbeOrigin(t *testing.T, labels ...string) *probeOrigin {
	t.Helper()
	po := &probeOrigin{Addrs: map[string]string{}}
	for _, l := range labels {
		ro := newRawOrigin(t, func(c net.Conn) { po.serve(l, c) })
		po.Addrs[l] = ro.Addr
	}
	return po
}

// recReader records what it reads into its connection's buffer.
type recReader struct {
	po *probeOrigin
	oc *originConn
	c  net.Conn
}

func (r *recReader) Read(p []byte) (int, error) {
	n, err := r.c.Read(p)
	if n > 0 {
		r.po.mu.Lock()
		r.oc.buf = append(r.oc.buf, p[:n]...)
		r.po.total += int64(n)
		r.po.mu.Unlock()
	}
	return n, err
}

// pos is the offset in the connection's stream of the next byte the
// bufio.Reader will hand out.
func (po *probeOrigin) pos(oc *originConn, br *bufio.Reader) int {
	po.mu.Lock()
	defer po.mu.Unlock()
	return len(oc.buf) - br.Buffered()
}

func (po *probeOrigin) serve(label string, c net.Conn) {
	po.mu.Lock()
	oc := &originConn{id: len(po.conns), label: label}
	po.conns = append(po.conns, oc)
	po.mu.Unlock()
	defer func() {
		po.mu.Lock()
		oc.closed = true
		po.mu.Unlock()
	}()
	br := bufio.NewReader(&recReader{po: po, oc: oc, c: c})
	for {
		// Idle between requests: pooled connections wait here until the
		// proxy or the end of the test closes them.
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
		start := po.pos(oc, br)
		req, err := http.ReadRequest(br)
		if err != nil {
			po.fail(oc, start, err, "request head")
			return
		}
		headEnd := po.pos(oc, br)
		// A forwarded body must follow its head promptly.
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		body, err := io.ReadAll(req.Body)
		if err != nil {
			po.fail(oc, start, err, "request body")
			return
		}
		end := po.pos(oc, br)
		seq := po.complete(oc, start, headEnd, end, req, body)
		answer := fmt.Sprintf("origin:%s:%d", label, seq)
		resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n", len(answer))
		if req.Method != http.MethodHead {
			resp += answer
		}
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
	}
}

// fail records the bytes from start on as unreadable, unless the connection
// simply ended between requests.
func (po *probeOrigin) fail(oc *originConn, start int, err error, where string) {
	po.mu.Lock()
	defer po.mu.Unlock()
	rest := oc.buf[start:]
	if len(rest) == 0 && (errors.Is(err, io.EOF) || isTimeout(err) || errors.Is(err, net.ErrClosed)) {
		return // closed or idle between requests
	}
	incomplete := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isTimeout(err) ||
		errors.Is(err, net.ErrClosed) || isReset(err)
	po.errs = append(po.errs, originErr{conn: oc.id, label: oc.label, incomplete: incomplete,
		msg: where + ": " + err.Error(), bytes: bytes.Clone(rest)})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

func (po *probeOrigin) complete(oc *originConn, start, headEnd, end int, req *http.Request, body []byte) int {
	po.mu.Lock()
	defer po.mu.Unlock()
	r := &originReq{label: oc.label, conn: oc.id, req: req, body: body,
		head: bytes.Clone(oc.buf[start:headEnd]), rawBody: bytes.Clone(oc.buf[headEnd:end])}
	r.problems = strictRequest(r.head, r.rawBody)
	po.reqs = append(po.reqs, r)
	oc.done = end
	po.seq++
	return po.seq
}

// originSnap marks a point in the origin's history.
type originSnap struct {
	total      int64
	reqs, errs int
	connLen    map[int]int // connection id -> bytes received
}

func (po *probeOrigin) snapshot() originSnap {
	po.mu.Lock()
	defer po.mu.Unlock()
	s := originSnap{total: po.total, reqs: len(po.reqs), errs: len(po.errs), connLen: map[int]int{}}
	for _, oc := range po.conns {
		s.connLen[oc.id] = len(oc.buf)
	}
	return s
}

// originDelta is what the origin received since a snapshot.
type originDelta struct {
	bytes   int64
	reqs    []*originReq
	errs    []originErr
	pending []pendingBytes // open connections holding bytes of no complete request
	touched []int          // connections that received bytes
}

type pendingBytes struct {
	conn   int
	closed bool
	bytes  []byte
}

func (po *probeOrigin) since(s originSnap) originDelta {
	po.mu.Lock()
	defer po.mu.Unlock()
	d := originDelta{bytes: po.total - s.total,
		reqs: append([]*originReq(nil), po.reqs[s.reqs:]...),
		errs: append([]originErr(nil), po.errs[s.errs:]...)}
	for _, oc := range po.conns {
		if len(oc.buf) > s.connLen[oc.id] {
			d.touched = append(d.touched, oc.id)
		}
		if !oc.closed && len(oc.buf) > oc.done {
			d.pending = append(d.pending, pendingBytes{conn: oc.id, bytes: bytes.Clone(oc.buf[oc.done:])})
		}
	}
	return d
}

// connsClosed reports whether every listed connection is closed or holds no
// bytes beyond its last complete request.
func (po *probeOrigin) connsClosed(ids []int) bool {
	po.mu.Lock()
	defer po.mu.Unlock()
	for _, id := range ids {
		oc := po.conns[id]
		if !oc.closed && len(oc.buf) > oc.done {
			return false
		}
	}
	return true
}

// activity changes whenever the origin receives, parses or loses anything.
func (po *probeOrigin) activity() [4]int64 {
	po.mu.Lock()
	defer po.mu.Unlock()
	closed := 0
	for _, oc := range po.conns {
		if oc.closed {
			closed++
		}
	}
	return [4]int64{po.total, int64(len(po.reqs)), int64(len(po.errs)), int64(closed)}
}

// settle polls until the origin has been quiet for 40 ms (at most max), so
// that bytes still in flight from the proxy are counted.
func (po *probeOrigin) settle(maxWait time.Duration) {
	deadline := time.Now().Add(maxWait)
	last, quiet := po.activity(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if a := po.activity(); a != last {
			last, quiet = a, time.Now()
		} else if time.Since(quiet) >= 40*time.Millisecond {
			return
		}
	}
}

// strictRequest checks a request's raw head (and chunked body) against the
// HTTP/1.1 grammar (RFC 9112) as a careful backend would read it, and
// returns every violation.
func strictRequest(head, body []byte) []string {
	var probs []string
	bad := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }
	if !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		bad("head does not end with CRLFCRLF")
		return probs
	}
	lines := strings.Split(string(head[:len(head)-4]), "\r\n")
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			bad("bare CR or LF in line %q", l)
		}
	}
	rl := strings.Split(lines[0], " ")
	if len(rl) != 3 {
		bad("request line %q is not METHOD SP TARGET SP VERSION", lines[0])
	} else {
		if !isToken(rl[0]) {
			bad("method %q is not a token", rl[0])
		}
		if !validOriginTarget(rl[1], rl[0]) {
			bad("target %q is not origin-form (or * for OPTIONS)", rl[1])
		}
		if rl[2] != "HTTP/1.1" && rl[2] != "HTTP/1.0" {
			bad("version %q", rl[2])
		}
	}
	var hosts, cls, tes []string
	for _, l := range lines[1:] {
		if l == "" {
			bad("empty line inside the head")
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			bad("obs-fold line %q", l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !isToken(name) {
			bad("field line %q has no token name and colon", l)
			continue
		}
		value = strings.Trim(value, " \t")
		for i := 0; i < len(value); i++ {
			if c := value[i]; c != '\t' && (c < 0x20 || c == 0x7f) {
				bad("control byte %#x in field %s", c, name)
				break
			}
		}
		switch strings.ToLower(name) {
		case "host":
			hosts = append(hosts, value)
		case "content-length":
			cls = append(cls, value)
		case "transfer-encoding":
			tes = append(tes, value)
		}
	}
	if len(rl) == 3 && rl[2] == "HTTP/1.1" && len(hosts) != 1 {
		bad("%d Host fields %q", len(hosts), hosts)
	}
	for _, h := range hosts {
		if !validHostValue(h) {
			bad("Host %q is not uri-host[:port]", h)
		}
	}
	if len(cls) > 1 {
		bad("%d Content-Length fields %q", len(cls), cls)
	}
	for _, cl := range cls {
		if cl == "" || strings.Trim(cl, "0123456789") != "" {
			bad("Content-Length %q is not 1*DIGIT", cl)
		}
	}
	if len(tes) > 1 {
		bad("%d Transfer-Encoding fields %q", len(tes), tes)
	}
	if len(tes) > 0 && len(cls) > 0 {
		bad("both Content-Length and Transfer-Encoding")
	}
	if len(tes) == 1 {
		if !strings.EqualFold(tes[0], "chunked") {
			bad("Transfer-Encoding %q is not chunked", tes[0])
		} else if p := strictChunked(body); p != "" {
			bad("chunked body: %s", p)
		}
	}
	return probs
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validOriginTarget: absolute-path [ "?" query ] with RFC 3986 characters,
// or "*" for OPTIONS.
func validOriginTarget(t, method string) bool {
	if t == "*" {
		return method == "OPTIONS"
	}
	if !strings.HasPrefix(t, "/") {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=:@/?%", c) >= 0) {
			return false
		}
	}
	return true
}

// validHostValue: reg-name or IP-literal, an optional :port.
func validHostValue(h string) bool {
	if h == "" {
		return false
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		host, port = h[:end+1], strings.TrimPrefix(h[end+1:], ":")
		if h[end+1:] != "" && !strings.HasPrefix(h[end+1:], ":") {
			return false
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i+1:]
	}
	if strings.Trim(port, "0123456789") != "" {
		return false
	}
	if strings.HasPrefix(host, "[") {
		return strings.Trim(host[1:len(host)-1], "0123456789abcdefABCDEF:.") == ""
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=%", c) >= 0) {
			return false
		}
	}
	return host != ""
}

// strictChunked checks a whole chunked body (RFC 9112 §7.1): hex sizes,
// extensions after optional BWS and ';', CRLF everywhere, data of the
// declared length, trailer fields, the final CRLF, and nothing after.
func strictChunked(b []byte) string {
	i := 0
	line := func() (string, bool) {
		j := bytes.Index(b[i:], []byte("\r\n"))
		if j < 0 {
			return "", false
		}
		l := string(b[i : i+j])
		i += j + 2
		return l, true
	}
	for {
		l, ok := line()
		if !ok {
			return "size line without CRLF"
		}
		if strings.ContainsAny(l, "\r\n") {
			return fmt.Sprintf("bare CR or LF in size line %q", l)
		}
		size, ext, _ := strings.Cut(l, ";")
		size = strings.TrimRight(size, " \t")
		if size == "" || len(size) > 15 || strings.Trim(size, "0123456789abcdefABCDEF") != "" {
			return fmt.Sprintf("bad chunk size line %q", l)
		}
		for k := 0; k < len(ext); k++ {
			if c := ext[k]; c != '\t' && (c < 0x20 || c == 0x7f) {
				return fmt.Sprintf("control byte in chunk extension %q", l)
			}
		}
		var n int
		fmt.Sscanf(size, "%x", &n)
		if n == 0 {
			break
		}
		if len(b)-i < n+2 {
			return "chunk data shorter than its size"
		}
		i += n
		if b[i] != '\r' || b[i+1] != '\n' {
			return "chunk data not followed by CRLF"
		}
		i += 2
	}
	for {
		l, ok := line()
		if !ok {
			return "trailer section without final CRLF"
		}
		if l == "" {
			break
		}
		if strings.ContainsAny(l, "\r\n") || l[0] == ' ' || l[0] == '\t' {
			return fmt.Sprintf("bad trailer line %q", l)
		}
		if name, _, ok := strings.Cut(l, ":"); !ok || !isToken(name) {
			return fmt.Sprintf("bad trailer line %q", l)
		}
	}
	if i != len(b) {
		return fmt.Sprintf("%d bytes after the last chunk", len(b)-i)
	}
	return ""
}

// rawFields returns the values of the fields named name (any case) in a raw
// head, trimmed of OWS.
func rawFields(head []byte, name string) []string {
	var out []string
	lines := strings.Split(strings.TrimSuffix(string(head), "\r\n\r\n"), "\r\n")
	for _, l := range lines[1:] {
		n, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(n, name) {
			out = append(out, strings.Trim(v, " \t"))
		}
	}
	return out
}

func requestLine(head []byte) string {
	l, _, _ := strings.Cut(string(head), "\r\n")
	return l
}
