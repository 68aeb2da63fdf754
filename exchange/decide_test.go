package exchange

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/rewrite"
	"github.com/sluiceproxy/sluice/router"
)

// TestDecideScenarios runs the scenario files of testdata/decide: the
// listener, certificate, clusters and routes they set up, and for each
// request line the decision a reader can check by eye.
func TestDecideScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/decide/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runDecideScenario(t, f) })
	}
}

func runDecideScenario(t *testing.T, path string) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var (
		set      = &listener.Settings{Proto: "http"}
		routes   = router.New[*listener.Route]()
		clusters = map[string]*backend.Cluster{}
		served   *cert.Cert
		tokens   tokens
		req      *Request
		where    string
		checked  int
	)
	sc := bufio.NewScanner(fh)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		at := fmt.Sprintf("%s:%d: %s", path, ln, line)
		switch f[0] {
		case "listener":
			for k, v := range keyValues(t, at, f[1:]) {
				switch k {
				case "proto":
					set.Proto = v
				case "max_body":
					set.MaxBodyBytes = int64(atoi(t, at, v))
				case "max_fields":
					set.Limits.MaxHeaderFields = atoi(t, at, v)
				case "sticky_name":
					set.StickyName = v
				default:
					t.Fatalf("%s: unknown listener setting %s", at, k)
				}
			}
		case "tls":
			served = &cert.Cert{Names: f[1:]}
		case "challenge": // challenge TOKEN KEY-AUTHORIZATION: an HTTP-01 token in progress
			if tokens == nil {
				tokens = map[string]string{}
			}
			tokens[f[1]] = f[2]
		case "cluster":
			c := order.Cluster{ID: f[1]}
			for _, flag := range f[2:] {
				switch flag {
				case "sticky":
					c.StickySession = true
				case "https_redirect":
					c.HTTPSRedirect = true
				case "http2":
					c.HTTP2 = true
				case "h2":
					c.BackendProtocol = order.H2
				case "auto":
					c.BackendProtocol = order.Auto
				case "tls":
					c.TLS = &order.BackendTLS{}
				default:
					t.Fatalf("%s: unknown cluster flag %s", at, flag)
				}
			}
			cl := backend.NewCluster(&backend.Settings{Cluster: c}, nil)
			t.Cleanup(cl.Close)
			clusters[c.ID] = cl
		case "route":
			// route HOST PATH TYPE -> CLUSTER|deny|none [OPTIONS]
			if len(f) < 6 || f[4] != "->" {
				t.Fatalf("%s: want: route HOST PATH TYPE -> CLUSTER|deny|none [OPTIONS]", at)
			}
			rt := &listener.Route{Deny: f[5] == "deny"}
			if !rt.Deny && f[5] != "none" {
				if rt.Cluster = clusters[f[5]]; rt.Cluster == nil {
					t.Fatalf("%s: no cluster %s", at, f[5])
				}
			}
			pt := map[string]router.PathType{"prefix": router.PathPrefix, "equals": router.PathEquals,
				"regex": router.PathRegex}[f[3]]
			rule := router.Rule[*listener.Route]{Hostname: f[1], Path: f[2], PathType: pt, Target: rt}
			routeOptions(t, at, &rule, f[6:])
			if routes, err = routes.Add(rule); err != nil {
				t.Fatalf("%s: %v", at, err)
			}
		case "request":
			req, where = parseRequest(t, at, f[1:]), at
		case "want":
			if req == nil {
				t.Fatalf("%s: want without a request", at)
			}
			facts := &Facts{Req: req, Listener: set, Routes: routes, Cert: served}
			if tokens != nil {
				facts.Challenges = tokens
			}
			d := Decide(facts)
			if got, want := describe(d), strings.Join(f[1:], " "); got != want {
				t.Errorf("%s\n  decided %q, want %q", where, got, want)
			}
			checked++
		default:
			t.Fatalf("%s: unknown directive", at)
		}
	}
	if checked == 0 {
		t.Fatalf("%s: no decision checked", path)
	}
}

// routeOptions applies a route line's options: pos=pre|post,
// h=NAME:TYPE[:VALUE] and q=NAME:TYPE[:VALUE] (conditions), redirect=STATUS
// (a redirect frontend).
func routeOptions(t *testing.T, at string, r *router.Rule[*listener.Route], opts []string) {
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "pos":
			p, err := router.ParsePosition(v)
			if err != nil {
				t.Fatalf("%s: %v", at, err)
			}
			r.Position = p
		case "h", "q":
			parts := strings.SplitN(v, ":", 3)
			mt, err := router.ParseMatchType(parts[min(1, len(parts)-1)])
			if err != nil || len(parts) < 2 {
				t.Fatalf("%s: want %s=NAME:TYPE[:VALUE]", at, k)
			}
			p := router.Predicate{Name: parts[0], Type: mt}
			if len(parts) == 3 {
				p.Value = parts[2]
			}
			if k == "h" {
				r.Headers = append(r.Headers, p)
			} else {
				r.Query = append(r.Query, p)
			}
		case "redirect":
			rw, err := rewrite.Compile(order.HTTPFrontend{Hostname: r.Hostname, Redirect: &order.Redirect{Status: atoi(t, at, v)}})
			if err != nil {
				t.Fatalf("%s: %v", at, err)
			}
			r.Target.Rewrite = rw
		default:
			t.Fatalf("%s: unknown route option %s", at, o)
		}
	}
}

// parseRequest reads "METHOD HOST TARGET [fields=N] [length=N] [unsized]
// [cookie=VALUE] [h=NAME:VALUE] [upgrade=PROTOCOL] [bridged]" (bridged: a
// WebSocket of an HTTP/2 extended CONNECT).
func parseRequest(t *testing.T, at string, f []string) *Request {
	if len(f) < 3 {
		t.Fatalf("%s: want: request METHOD HOST TARGET [options]", at)
	}
	req := &Request{Method: []byte(f[0]), Host: []byte(f[1]), Target: []byte(f[2]), ContentLength: -1, Minor: 1}
	req.Path = req.Target
	if i := strings.IndexByte(f[2], '?'); i >= 0 {
		req.Path = req.Target[:i]
	}
	for _, opt := range f[3:] {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "fields":
			for i := range atoi(t, at, v) {
				req.Fields = append(req.Fields, h1.Header{Name: []byte("X-F" + strconv.Itoa(i)), Value: []byte("v")})
			}
		case "length":
			req.ContentLength = int64(atoi(t, at, v))
		case "unsized":
			req.Unsized = true
		case "upgrade":
			req.Upgrade = []byte(v)
		case "bridged":
			req.Upgrade, req.BridgeWebSocket = []byte("websocket"), true
		case "cookie":
			req.Fields = append(req.Fields, h1.Header{Name: []byte("Cookie"),
				Value: []byte(strings.ReplaceAll(v, ";", "; ")), Kind: h1.HeaderCookie})
		case "h":
			name, value, _ := strings.Cut(v, ":")
			req.Fields = append(req.Fields, h1.Header{Name: []byte(name), Value: []byte(value), Kind: h1.ClassifyHeader([]byte(name))})
		default:
			t.Fatalf("%s: unknown request option %s", at, k)
		}
	}
	return req
}

// describe writes a decision as the scenario files do.
func describe(d Decision) string {
	if d.Status != 0 {
		if d.Challenge != "" {
			return fmt.Sprintf("%d challenge=%s", d.Status, d.Challenge)
		}
		if d.Redirect {
			return fmt.Sprintf("%d redirect", d.Status)
		}
		return strconv.Itoa(d.Status)
	}
	if d.Cluster == nil {
		return "forward nowhere (a bug)"
	}
	s := "forward " + d.Cluster.ID
	if d.Replayable {
		s += " replayable"
	}
	if d.H2 {
		s += " h2"
	}
	if d.Sticky {
		s += " sticky=" + string(d.Cookie)
	}
	return s
}

// tokens are the HTTP-01 tokens of a scenario.
type tokens map[string]string

func (t tokens) HTTP01(token []byte) (string, bool) {
	ka, ok := t[string(token)]
	return ka, ok
}

func keyValues(t *testing.T, at string, f []string) map[string]string {
	kv := map[string]string{}
	for _, p := range f {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", at, p)
		}
		kv[k] = v
	}
	return kv
}

func atoi(t *testing.T, at, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", at, err)
	}
	return n
}
