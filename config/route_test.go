package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// routeErrCases are bad values of the routing and rewrite keys (issue 16):
// each is reported at the value at fault, found by the text at.
var routeErrCases = []struct {
	name, text string
	at         string // the problem is reported where this text starts
	msg        []string
}{
	{"bad position", fe(`position = "first"`), `"first"`, []string{"frontends[0].position", `"first" is not pre, tree or post`}},
	{"position not a string", fe(`position = 1`), `1 }`, []string{"frontends[0].position", "expected a string"}},
	{"bad match type", fe(`match_headers = [ { name = "X-A", match = "like", value = "a" } ]`), `"like"`,
		[]string{"frontends[0].match_headers[0].match", `"like" is not exact`}},
	{"condition without name", fe(`match_query = [ { match = "present" } ]`), `{ match`,
		[]string{"match_query[0]", "name: missing"}},
	{"value on present", fe(`match_headers = [ { name = "X-A", match = "present", value = "1" } ]`), `"1"`,
		[]string{"match_headers[0].value", "present takes no value"}},
	{"bad header regex", fe(`match_headers = [ { name = "X-A", match = "regex", value = "(" } ]`), `{ name`,
		[]string{"frontends[0].match_headers", "bad regex"}},
	{"unknown condition key", fe(`match_headers = [ { name = "X-A", match = "present", regex = "x" } ]`), `regex =`,
		[]string{`unknown key "regex"`, "match_headers[0]"}},
	{"bad regex hostname", strings.Replace(fe(``), `"a.test"`, `"/a(/.test"`, 1), `"/a(/.test"`,
		[]string{"frontends[0]", "bad regex label"}},
	{"bad redirect status", fe(`redirect = { status = 303 }`), `303`, []string{"frontends[0].redirect.status", "303 is not 301, 302, 307 or 308"}},
	{"bad redirect scheme", fe(`redirect = { scheme = "ftp" }`), `"ftp"`, []string{"redirect.scheme", `"ftp" is not http or https`}},
	{"bad redirect port", fe(`redirect = { port = 70000 }`), `70000`, []string{"redirect.port", "outside 0..65535"}},
	{"location with scheme", fe(`redirect = { scheme = "https", location = "https://x$PATH" }`), `"https://x$PATH"`,
		[]string{"redirect.location", "gives the scheme and port itself"}},
	{"bad location template", fe(`redirect = { location = "https://x/$HOST[1]" }`), `"https://x/$HOST[1]"`,
		[]string{"redirect.location", "$HOST[1]", "0 capture"}},
	{"unknown redirect key", fe(`redirect = { code = 301 }`), `code`, []string{`unknown key "code"`, "redirect"}},
	{"bad rewrite_path", fe(`rewrite_path = "/v2/$PATH[2]"`), `"/v2/$PATH[2]"`,
		[]string{"frontends[0].rewrite_path", "$PATH[2]", "1 capture"}},
	{"rewrite_host with a path", fe(`rewrite_host = "$PATH"`), `"$PATH"`, []string{"rewrite_host", "$PATH cannot be used in a host"}},
	{"edit of Host", fe(`headers = [ { position = "request", action = "set", name = "Host", value = "x" } ]`), `"Host"`,
		[]string{"frontends[0].headers[0].name", "handled by the proxy", "rewrite_host"}},
	{"edit without position", fe(`headers = [ { action = "set", name = "X-A", value = "x" } ]`), `{ action`,
		[]string{"headers[0]", "position: missing"}},
	{"bad edit action", fe(`headers = [ { position = "request", action = "replace", name = "X-A" } ]`), `"replace"`,
		[]string{"headers[0].action", `"replace" is not set, add or delete`}},
	{"edit value with a newline", fe(`headers = [ { position = "response", action = "add", name = "X-A", value = "a\nb" } ]`), `"a\nb"`,
		[]string{"headers[0].value", "control character"}},
	{"cluster edit of Content-Length", "[clusters.shop]\nheaders = [ { position = \"response\", action = \"delete\", name = \"Content-Length\" } ]\n",
		`"Content-Length"`, []string{"clusters.shop.headers[0].name", "handled by the proxy"}},
	{"https_redirect_port out of range", "[clusters.shop]\nhttps_redirect_port = 0\n", `0`,
		[]string{"clusters.shop.https_redirect_port", "outside 1..65535"}},
	{"request_id_header not a name", base + "request_id_header = \"Req Id\"\n", `"Req Id"`,
		[]string{"listeners[1].request_id_header", "not a header field name"}},
	{"request_id_header a framing field", base + "request_id_header = \"Transfer-Encoding\"\n", `"Transfer-Encoding"`,
		[]string{"listeners[1].request_id_header", "handles itself"}},
	{"x_real_ip not a boolean", base + "x_real_ip = \"yes\"\n", `"yes"`, []string{"listeners[1].x_real_ip", "expected a boolean"}},
	{"route keys on a tcp frontend", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:5432\"\n[clusters.db]\nprotocol = \"tcp\"\nfrontends = [ { address = \"127.0.0.1:5432\", rewrite_path = \"/x\" } ]\n",
		`"/x"`, []string{"rewrite_path", "no meaning on tcp listener"}},
}

// fe is a configuration with one http frontend having the keys kv.
func fe(kv string) string {
	if kv != "" {
		kv = ", " + kv
	}
	return base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\"" + kv + " } ]\n"
}

func TestLoadRouteErrors(t *testing.T) {
	for _, c := range routeErrCases {
		t.Run(c.name, func(t *testing.T) {
			i := strings.Index(c.text, c.at)
			if i < 0 {
				t.Fatalf("%q is not in the text", c.at)
			}
			line := strings.Count(c.text[:i], "\n") + 1
			col := i - strings.LastIndex(c.text[:i], "\n")
			_, err := Load(writeConfig(t, c.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if es, ok := err.(Errors); ok {
				t.Fatalf("want one problem, got %d:\n%v", len(es), es)
			}
			t.Log(err)
			if e.Line != line || e.Column != col {
				t.Errorf("position %d:%d, want %d:%d (at %q): %v", e.Line, e.Column, line, col, c.at, err)
			}
			for _, m := range c.msg {
				if !strings.Contains(e.Msg, m) {
					t.Errorf("message %q does not contain %q", e.Msg, m)
				}
			}
		})
	}
}

func sp(a ...any) string { return strings.TrimSuffix(fmt.Sprintln(a...), "\n") }

// TestLoadRoute: every routing and rewrite key reaches its order.
func TestLoadRoute(t *testing.T) {
	text := base + `x_real_ip = true
request_id_header = "X-Request-Id"

[clusters.shop]
https_redirect = true
https_redirect_port = 8443
headers = [ { position = "response", action = "set", name = "X-Frame-Options", value = "DENY" } ]
frontends = [
  { address = "127.0.0.1:8080", hostname = "shop.test", position = "pre",
    match_headers = [ { name = "X-Beta", match = "present" } ],
    match_query = [ { name = "v", match = "exact", value = "2" } ],
    rewrite_host = "internal.test", rewrite_path = "/v2$PATH",
    headers = [ { position = "request", action = "delete", name = "X-Debug" } ] },
  { address = "127.0.0.1:8080", hostname = "/(.+)-preview/.test",
    redirect = { status = 307, location = "https://preview.test/$HOST[1]$PATH" } },
]
`
	cfg, err := Load(writeConfig(t, text))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range cfg.Orders {
		switch o := o.(type) {
		case order.AddListener:
			if o.XRealIP {
				got = append(got, "listener x_real_ip "+o.RequestIDHeader)
			}
		case order.AddCluster:
			got = append(got, "cluster "+sp(o.Cluster.Headers[0].Name, o.Cluster.HTTPSRedirectPort))
		case order.AddHTTPFrontend:
			f := o.HTTPFrontend
			got = append(got, "frontend "+sp(f.Position, f.MatchHeaders, f.MatchQuery, f.RewriteHost, f.RewritePath,
				f.Headers, f.Redirect))
		}
	}
	want := []string{
		"listener x_real_ip X-Request-Id",
		"cluster X-Frame-Options 8443",
		`frontend pre [{X-Beta present }] [{v exact 2}] internal.test /v2$PATH [{request delete X-Debug }] <nil>`,
		`frontend  [] []   [] &{307  0 https://preview.test/$HOST[1]$PATH}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("orders:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
