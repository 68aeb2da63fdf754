package config

import (
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

func TestHSTSAndHTTP2Keys(t *testing.T) {
	cfg, err := Load(writeConfig(t, `
[[listeners]]
protocol = "https"
address = "127.0.0.1:8443"
hsts = { max_age = 600 }

[clusters.shop]
http2 = true
hsts = { max_age = 31536000, include_subdomains = true, preload = true }
`))
	if err != nil {
		t.Fatal(err)
	}
	var l order.Listener
	var c order.Cluster
	for _, o := range cfg.Orders {
		switch o := o.(type) {
		case order.AddListener:
			l = o.Listener
		case order.AddCluster:
			c = o.Cluster
		}
	}
	if l.HSTS == nil || *l.HSTS != (order.HSTS{MaxAge: 600}) {
		t.Errorf("listener hsts %+v", l.HSTS)
	}
	if !c.HTTP2 || c.HSTS == nil || *c.HSTS != (order.HSTS{MaxAge: 31536000, IncludeSubDomains: true, Preload: true}) {
		t.Errorf("cluster http2 %v hsts %+v", c.HTTP2, c.HSTS)
	}
	for text, want := range map[string]string{
		"[clusters.a]\nhsts = { include_subdomains = true }\n":                                      "max_age is missing",
		"[clusters.a]\nhsts = { max_age = -1 }\n":                                                   "outside 0..",
		"[clusters.a]\nhsts = { max_age = 60, preload = true }\n":                                   "preload needs include_subdomains",
		"[clusters.a]\nhsts = { max_age = 60, colour = 1 }\n":                                       `unknown key "colour"`,
		"[[listeners]]\nprotocol = \"http\"\naddress = \"127.0.0.1:80\"\nhsts = { max_age = 60 }\n": `unknown key "hsts"`,
	} {
		_, err := Load(writeConfig(t, text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}
