package proxy_test

// The request-smuggling / desync corpus (issue 13): every probe of
// testdata/probes/h1.txt is sent on a fresh connection to the http
// listener, every probe of testdata/probes/h2.txt on a fresh HTTP/2
// connection to the https listener, one after the other. A refused probe
// must get its answer (HTTP/1.1: a status of its set, then the close;
// HTTP/2: such a status, RST_STREAM, GOAWAY or the close) with 0 bytes
// reaching a backend; a forwarded probe must reach the backend as exactly
// the well-formed requests it describes. The format of the files is in
// testdata/probes/README.md.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// probeBackTimeout is the listeners' back_timeout: short, so that a stream
// the proxy leaves hanging fails fast instead of after the default 30 s.
const probeBackTimeout = 3 * time.Second

// probeEnv is one proxy with an http and an https listener. On both,
// shop.test goes to the origin labelled "shop"; other.test and every
// other host ("*") to the origin labelled "other", so a request routed by
// the wrong name, or with a host the proxy should have refused, is seen.
type probeEnv struct {
	th     *tlsHarness
	origin *probeOrigin
}

func startProbeEnv(t *testing.T) *probeEnv {
	t.Helper()
	h := startProxy(t, func(c *proxy.Config) {
		c.BackTimeout = probeBackTimeout
		c.RequestTimeout = 5 * time.Second
	})
	ca := testcert.NewCA()
	l := order.Listener{Protocol: order.HTTPS, Address: freeAddr(t), Active: true}
	h.Must(order.AddListener{Listener: l})
	th := &tlsHarness{harness: h, TLSAddr: l.Address, CA: ca}
	po := newProbeOrigin(t, "shop", "other")
	for _, c := range []string{"shop", "other"} {
		h.Must(order.AddCluster{Cluster: order.Cluster{ID: c}})
		h.addBackend(c, c+"-0", po.Addrs[c])
	}
	for host, cluster := range map[string]string{"shop.test": "shop", "other.test": "other", "*": "other"} {
		h.addFrontend(order.HTTPFrontend{Hostname: host, ClusterID: cluster})
		h.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: host, ClusterID: cluster}})
	}
	th.addCert(ca.Leaf([]string{"shop.test", "other.test"}, testcert.Options{}))
	return &probeEnv{th: th, origin: po}
}

// probeTally is the summary of one corpus run.
type probeTally struct {
	mu                       sync.Mutex
	run, refused, forwarded  int
	expRefused, expForwarded int
	expEither                int
	refusedBytes             int64
	failed                   []string
	families                 map[string]int
}

func (pt *probeTally) count(p *probe, outcome string, refusedBytes int64, failed bool, why string) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	pt.run++
	switch p.Expect {
	case "refused":
		pt.expRefused++
	case "forwarded":
		pt.expForwarded++
	default:
		pt.expEither++
	}
	switch outcome {
	case "refused":
		pt.refused++
	case "forwarded":
		pt.forwarded++
	}
	pt.refusedBytes += refusedBytes
	if pt.families == nil {
		pt.families = map[string]int{}
	}
	pt.families[p.Family]++
	if failed {
		pt.failed = append(pt.failed, p.Name+": "+why)
	}
}

func (pt *probeTally) log(t *testing.T, proto string) {
	fams := make([]string, 0, len(pt.families))
	for f, n := range pt.families {
		fams = append(fams, fmt.Sprintf("%s=%d", f, n))
	}
	sort.Strings(fams)
	t.Logf("%s probes: %d run (expected: %d refused, %d forwarded, %d either); observed %d refused, %d forwarded; "+
		"backend bytes from refused probes: %d; %d failing", proto, pt.run, pt.expRefused, pt.expForwarded,
		pt.expEither, pt.refused, pt.forwarded, pt.refusedBytes, len(pt.failed))
	t.Logf("%s families: %s", proto, strings.Join(fams, " "))
	for _, f := range pt.failed {
		t.Logf("%s FAIL %s", proto, f)
	}
}

// probeResult collects the failures of one probe.
type probeResult struct {
	t        *testing.T
	problems []string
}

func (r *probeResult) failf(format string, a ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, a...))
}

func (r *probeResult) report(p *probe) (bool, string) {
	if len(r.problems) == 0 {
		return false, ""
	}
	r.t.Errorf("probe %s (%s:%d, %s; %s):\n  %s", p.Name, p.File, p.Line, p.Family,
		strings.Join(p.Why, " "), strings.Join(r.problems, "\n  "))
	return true, r.problems[0]
}

func TestSmugglingProbesH1(t *testing.T) {
	runCorpus(t, "testdata/probes/h1.txt", "h1", "HTTP/1.1", 100, (*probeEnv).runH1)
}

func TestSmugglingProbesH2(t *testing.T) {
	runCorpus(t, "testdata/probes/h2.txt", "h2", "HTTP/2", 50, (*probeEnv).runH2)
}

// runCorpus runs every probe of file through run, and checks the corpus
// holds at least least of them.
func runCorpus(t *testing.T, file, kind, proto string, least int,
	run func(*probeEnv, *probeResult, *probe) (string, int64)) {
	probes, err := loadProbes(file, kind)
	if err != nil {
		t.Fatal(err)
	}
	env := startProbeEnv(t)
	var tally probeTally
	start := time.Now()
	for _, p := range probes {
		t.Run(p.Name, func(t *testing.T) {
			r := &probeResult{t: t}
			outcome, refusedBytes := run(env, r, p)
			failed, why := r.report(p)
			tally.count(p, outcome, refusedBytes, failed, why)
		})
	}
	tally.log(t, proto)
	t.Logf("%s corpus ran in %v", proto, time.Since(start).Round(time.Millisecond))
	if tally.run < least {
		t.Errorf("only %d %s probes; the corpus needs at least %d", tally.run, proto, least)
	}
}

// TestSmugglingProbeCorpusSize checks the size and the format of the whole
// corpus without running it.
func TestSmugglingProbeCorpusSize(t *testing.T) {
	h1, err := loadProbes("testdata/probes/h1.txt", "h1")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := loadProbes("testdata/probes/h2.txt", "h2")
	if err != nil {
		t.Fatal(err)
	}
	if len(h1) < 100 || len(h2) < 50 || len(h1)+len(h2) < 150 {
		t.Errorf("corpus: %d HTTP/1.1 and %d HTTP/2 probes; want at least 100, 50 and 150 in all", len(h1), len(h2))
	}
	t.Logf("corpus: %d HTTP/1.1 + %d HTTP/2 = %d probes", len(h1), len(h2), len(h1)+len(h2))
}

// ---- HTTP/1.1 ----

// runH1 sends one probe and checks it; it returns the observed outcome
// (refused, forwarded, or "" when neither) and, for a probe expected to be
// refused, the bytes that reached a backend.
func (env *probeEnv) runH1(r *probeResult, p *probe) (string, int64) {
	po := env.origin
	snap := po.snapshot()
	c, err := net.DialTimeout("tcp", env.th.Addr, ioTimeout)
	if err != nil {
		r.failf("dial: %v", err)
		return "", 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	// The write may fail once the proxy has answered and closed.
	_, werr := c.Write(p.Raw)

	method, _, _ := strings.Cut(string(p.Raw), " ")
	br := bufio.NewReader(c)
	var statuses []int
	var origins []bool // whether each answer came from an origin
	var readErr error
	for i, want := range p.ClientStatuses {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			readErr = fmt.Errorf("response %d of %d: %v (write error: %v)", i+1, len(p.ClientStatuses), err, werr)
			break
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			readErr = fmt.Errorf("response %d body: %v", i+1, err)
			break
		}
		statuses = append(statuses, resp.StatusCode)
		origins = append(origins, fromOrigin(resp.StatusCode, body, method))
		if !want.has(resp.StatusCode) {
			r.failf("response %d: status %d, want %s (body %q)", i+1, resp.StatusCode, want, trim(string(body)))
		}
		if resp.StatusCode == 200 && !origins[i] && !p.Refuse.has(200) {
			r.failf("response %d: 200 not from the origin: %q", i+1, trim(string(body)))
		}
	}
	if readErr != nil {
		r.failf("%v", readErr)
	}
	// After the expected answers: the close (always after a refusal), or at
	// least nothing more (an extra response is a desync).
	refused := len(statuses) > 0 && p.Refuse.has(statuses[0]) && !origins[0]
	wantClosed := p.ClientClosed == 1 || refused
	if wantClosed {
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := io.Copy(io.Discard, br)
		if isTimeout(err) {
			r.failf("client connection still open 3s after the answers")
		}
		if n > 0 {
			r.failf("%d unexpected bytes after the answers", n)
		}
	}
	po.settle(time.Second)
	if !wantClosed && readErr == nil {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if b, _ := io.ReadAll(br); len(b) > 0 {
			r.failf("%d unexpected bytes after the %d answers (desync?): %q", len(b), len(statuses), trim(string(b)))
		}
	}
	d := po.since(snap)

	r.t.Logf("outcome: statuses %v (from origin %v), backend bytes %d, requests %d", statuses, origins, d.bytes, len(d.reqs))
	switch p.Expect {
	case "refused":
		checkNothingReached(r, d)
		if refused {
			return "refused", d.bytes
		}
		return "", d.bytes
	case "either":
		if refused {
			checkNothingReached(r, d)
			return "refused", d.bytes
		}
		if len(statuses) == 0 || !origins[0] {
			checkForwarded(r, p, d, "") // what did reach the backend, if anything
			return "", 0
		}
	}
	checkForwarded(r, p, d, "")
	if len(origins) == 0 || !origins[0] {
		return "", 0
	}
	return "forwarded", 0
}

// checkNothingReached: 0 bytes at any backend.
func checkNothingReached(r *probeResult, d originDelta) {
	if d.bytes == 0 {
		return
	}
	r.failf("%d bytes reached a backend (%d requests parsed)", d.bytes, len(d.reqs))
	for _, q := range d.reqs {
		r.failf("  backend %s got %q + body %q", q.label, trim(string(q.head)), trim(string(q.rawBody)))
	}
	for _, e := range d.errs {
		r.failf("  backend %s could not read %q: %s", e.label, trim(string(e.bytes)), e.msg)
	}
	for _, pb := range d.pending {
		r.failf("  backend connection %d holds %q", pb.conn, trim(string(pb.bytes)))
	}
}

// checkForwarded: the backends got exactly the well-formed requests that p
// describes. authority, when set (HTTP/2), is the Host every request must
// carry unless the probe says otherwise.
func checkForwarded(r *probeResult, p *probe, d originDelta, authority string) {
	for _, e := range d.errs {
		kind := "malformed"
		if e.incomplete {
			kind = "incomplete"
		}
		r.failf("backend %s got %s input it could not read as a request (%s): %q", e.label, kind, e.msg, trim(string(e.bytes)))
	}
	for _, pb := range d.pending {
		r.failf("backend connection %d holds %d bytes of no complete request: %q", pb.conn, len(pb.bytes), trim(string(pb.bytes)))
	}
	if p.Requests >= 0 && len(d.reqs) != p.Requests {
		r.failf("%d requests reached the backends, want %d", len(d.reqs), p.Requests)
	}
	for i, q := range d.reqs {
		tag := fmt.Sprintf("backend request %d (%s)", i+1, requestLine(q.head))
		if q.label != p.Backend {
			r.failf("%s went to origin %q, want %q", tag, q.label, p.Backend)
		}
		for _, pr := range q.problems {
			r.failf("%s is malformed: %s; head %q", tag, pr, trim(string(q.head)))
		}
		if i < len(p.Heads) && requestLine(q.head) != p.Heads[i] {
			r.failf("%s: request line %q, want %q", tag, requestLine(q.head), p.Heads[i])
		}
		if i < len(p.Bodies) && !bytes.Equal(q.body, p.Bodies[i]) {
			r.failf("%s: body %q, want %q", tag, trim(string(q.body)), p.Bodies[i])
		}
		checks := p.HeaderIs
		if authority != "" && !hasCheck(checks, "host") {
			checks = append(checks[:len(checks):len(checks)], headerCheck{Name: "host", Values: []string{authority}})
		}
		for _, hc := range checks {
			vs := rawFields(q.head, hc.Name)
			ok := len(vs) == 1
			if ok {
				ok = false
				for _, want := range hc.Values {
					ok = ok || vs[0] == want
				}
			}
			if !ok {
				r.failf("%s: field %s is %q, want exactly one of %q", tag, hc.Name, vs, hc.Values)
			}
		}
		for _, name := range p.NoHeader {
			if vs := rawFields(q.head, name); len(vs) > 0 {
				r.failf("%s: field %s reached the backend: %q", tag, name, vs)
			}
		}
		for _, name := range p.HasHeader {
			if vs := rawFields(q.head, name); len(vs) == 0 {
				r.failf("%s: field %s missing", tag, name)
			}
		}
	}
}

func hasCheck(cs []headerCheck, name string) bool {
	for _, c := range cs {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// ---- HTTP/2 ----

// h2Outcome is how a stream ended.
type h2Outcome struct {
	kind   string // response, reset, goaway, closed, timeout
	status int
	body   []byte
	code   http2.ErrCode
	err    error
	after  time.Duration
}

func (o h2Outcome) String() string {
	switch o.kind {
	case "response":
		return fmt.Sprintf("response %d %q after %v", o.status, trim(string(o.body)), o.after.Round(time.Millisecond))
	case "reset", "goaway":
		return fmt.Sprintf("%s %v after %v", o.kind, o.code, o.after.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s (%v) after %v", o.kind, o.err, o.after.Round(time.Millisecond))
}

func (env *probeEnv) runH2(r *probeResult, p *probe) (string, int64) {
	po := env.origin
	th := env.th
	snap := po.snapshot()
	c, err := th.handshake(th.tlsConfig("shop.test", "h2"))
	if err != nil {
		r.failf("handshake: %v", err)
		return "", 0
	}
	defer c.Close()
	if proto := c.ConnectionState().NegotiatedProtocol; proto != "h2" {
		r.failf("ALPN chose %q, not h2", proto)
		return "", 0
	}
	out := sendH2Probe(c, p)
	authority := ""
	for _, f := range p.Fields {
		if f.Name == ":authority" {
			authority = f.Value
			break
		}
	}

	origin := out.kind == "response" && fromOrigin(out.status, out.body, h2Method(p))
	refused := false
	switch out.kind {
	case "response":
		refused = p.Refuse.has(out.status) && !origin
	case "reset", "goaway", "closed":
		refused = true
	case "timeout":
		r.failf("the stream did not end within %v (%v)", p.Within, out)
	}
	if out.kind == "response" && !refused && !origin {
		r.failf("unexpected answer (neither a refusal of the probe's set nor the origin's 200): %v", out)
	}

	c.Close()
	if p.PartialOK {
		// A body that turns out not to match its declared length is found
		// while it streams: the head may already be at the backend, but
		// its connection must then be closed (never completed or reused).
		d := po.since(snap)
		deadline := time.Now().Add(p.Within)
		for !po.connsClosed(d.touched) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	po.settle(time.Second)
	d := po.since(snap)
	r.t.Logf("outcome: %v, backend bytes %d, requests %d", out, d.bytes, len(d.reqs))

	expectRefused := p.Expect == "refused" || (p.Expect == "either" && refused)
	if expectRefused {
		if !refused {
			r.failf("not refused: %v", out)
		}
		if p.PartialOK {
			checkPartialOnly(r, d)
		} else {
			checkNothingReached(r, d)
		}
		if refused {
			return "refused", d.bytes
		}
		return "", d.bytes
	}
	if refused {
		r.failf("refused, want forwarded: %v", out)
		return "refused", 0
	}
	checkForwarded(r, p, d, authority)
	if !origin {
		return "", 0
	}
	return "forwarded", 0
}

// fromOrigin reports whether an answer is the origin's 200 (its body names
// the origin; a HEAD answer has none) rather than one of the proxy's own.
func fromOrigin(status int, body []byte, method string) bool {
	return status == 200 && (method == http.MethodHead || bytes.HasPrefix(body, []byte("origin:")))
}

func h2Method(p *probe) string {
	for _, f := range p.Fields {
		if f.Name == ":method" {
			return f.Value
		}
	}
	return ""
}

// checkPartialOnly: no complete request, nothing unreadable, and every
// connection that got part of a request was closed.
func checkPartialOnly(r *probeResult, d originDelta) {
	for _, q := range d.reqs {
		r.failf("a complete request reached backend %s: %q + body %q", q.label, trim(string(q.head)), trim(string(q.rawBody)))
	}
	for _, e := range d.errs {
		if !e.incomplete {
			r.failf("backend %s got malformed input (%s): %q", e.label, e.msg, trim(string(e.bytes)))
		}
	}
	for _, pb := range d.pending {
		r.failf("backend connection %d still open with %d bytes of an unfinished request: %q",
			pb.conn, len(pb.bytes), trim(string(pb.bytes)))
	}
}

// sendH2Probe writes the probe's frames on a fresh connection and reads
// until its stream (id 1) ends, the connection ends, or p.Within passes.
func sendH2Probe(c *tls.Conn, p *probe) h2Outcome {
	start := time.Now()
	_ = c.SetDeadline(start.Add(ioTimeout))
	fr := http2.NewFramer(c, c)
	fr.AllowIllegalWrites = true
	fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	fr.MaxHeaderListSize = 1 << 20
	const id = 1

	// While a header block is unfinished (stop-after) the client may send
	// no other frame, not even a SETTINGS or PING acknowledgement
	// (RFC 9113 §6.10): that alone would be a PROTOCOL_ERROR.
	blockOpen := false
	werr := func() error {
		if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
			return err
		}
		if err := fr.WriteSettings(); err != nil {
			return err
		}
		block := hpackBlock(p.Fields)
		endHeaders := true
		if p.StopAfter > 0 && p.StopAfter < len(block) {
			block, endHeaders = block[:p.StopAfter], false
		}
		frag := p.Split
		if frag <= 0 || frag > 16384 {
			frag = 16384 // the default SETTINGS_MAX_FRAME_SIZE
		}
		first := true
		for first || len(block) > 0 {
			n := min(frag, len(block))
			last := n == len(block)
			var err error
			if first {
				err = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block[:n],
					EndStream: p.EndStream == "headers", EndHeaders: last && endHeaders})
				first = false
			} else {
				err = fr.WriteContinuation(id, last && endHeaders, block[:n])
			}
			if err != nil {
				return err
			}
			block = block[n:]
		}
		if !endHeaders {
			blockOpen = true
			return nil
		}
		for i, d := range p.Data {
			if pause := p.Pauses[i]; pause > 0 {
				// Part of the probe, not a synchronisation: a client
				// that sends this part of its body late.
				time.Sleep(pause)
			}
			end := p.EndStream == "data" && i == len(p.Data)-1
			var err error
			if p.Padding > 0 {
				err = fr.WriteDataPadded(id, end, d, make([]byte, p.Padding))
			} else {
				err = fr.WriteData(id, end, d)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}()

	var out h2Outcome
	_ = c.SetReadDeadline(start.Add(p.Within))
	var got bool
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) && se.StreamID == id {
				// A frame of our stream the framer refused to decode.
				return h2Outcome{kind: "reset", code: se.Code, err: err, after: time.Since(start)}
			}
			kind := "closed"
			if isTimeout(err) {
				kind = "timeout"
			}
			if got && kind == "closed" { // a response, cut short
				out.err, out.after = err, time.Since(start)
				return out
			}
			if werr != nil {
				err = fmt.Errorf("%v (after write error %v)", err, werr)
			}
			return h2Outcome{kind: kind, err: err, after: time.Since(start)}
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() && !blockOpen {
				_ = fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() && !blockOpen {
				_ = fr.WritePing(true, f.Data)
			}
		case *http2.GoAwayFrame:
			if f.ErrCode != http2.ErrCodeNo || f.LastStreamID < id {
				return h2Outcome{kind: "goaway", code: f.ErrCode, after: time.Since(start)}
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				return h2Outcome{kind: "reset", code: f.ErrCode, after: time.Since(start)}
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID != id {
				continue
			}
			var status int
			fmt.Sscanf(f.PseudoValue("status"), "%d", &status)
			if status >= 100 && status < 200 {
				continue
			}
			if !got {
				out.kind, out.status, got = "response", status, true
			}
			if f.StreamEnded() {
				out.after = time.Since(start)
				return out
			}
		case *http2.DataFrame:
			if f.StreamID != id {
				continue
			}
			out.body = append(out.body, f.Data()...)
			if f.StreamEnded() {
				out.after = time.Since(start)
				return out
			}
		}
	}
}
