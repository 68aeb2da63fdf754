package config

import (
	"math"
	"strconv"
	"strings"

	"github.com/sluiceproxy/sluice/tracing"
)

// decodeTracing reads the [tracing] table: absent, tracing is off
// (Config.Tracing nil). Keys:
//   - endpoint (required): the collector's URL, "http://host:port" or
//     "https://host:port", with a path for HTTP (default /v1/traces) and
//     the default port 4318 (HTTP) or 4317 (gRPC); plaintext to a host
//     that is not loopback needs insecure = true;
//   - protocol: "http/protobuf" (default) or "grpc";
//   - ratio: the share of new traces sampled, 0 to 1, default 1 (a
//     request with a valid traceparent follows its sampled flag);
//   - service_name: default "sluice";
//   - headers: a table of header names and values sent with every export;
//   - insecure: allow http:// to a host that is not loopback;
//   - ca_file, cert_file, key_file: TLS of an https endpoint (the CA that
//     signs the collector's certificate instead of the system's roots; a
//     client certificate), paths relative to the file's folder;
//   - queue_size: spans waiting for export at most, default 2048 (1 to
//     1048576); the spans of requests that find it full are dropped and
//     counted.
//
// Tracing is read at start only, as metrics and logs are: a reload
// leaves it as it was.
func (l *loader) decodeTracing(cfg *Config, root *table) {
	t := root.sub("tracing")
	if t == nil {
		return
	}
	c := &tracing.Config{Ratio: 1}
	c.Endpoint = t.str("endpoint")
	if c.Endpoint == "" && !t.has("endpoint") {
		t.errTable("endpoint is required (the collector's URL, such as \"http://127.0.0.1:4318\")")
	}
	if t.has("protocol") {
		c.Protocol = t.str("protocol")
		if c.Protocol != tracing.ProtocolHTTP && c.Protocol != tracing.ProtocolGRPC {
			t.errKey("protocol", "%q is not http/protobuf or grpc", c.Protocol)
			c.Protocol = tracing.ProtocolHTTP
		}
	}
	if t.has("insecure") {
		c.Insecure = t.boolean("insecure")
	}
	if c.Endpoint != "" {
		if _, _, err := tracing.CheckEndpoint(c.Endpoint, or(c.Protocol, tracing.ProtocolHTTP), c.Insecure); err != nil {
			t.errKey("endpoint", "%v", err)
		}
	}
	if r, ok := ratio(t, "ratio"); ok {
		c.Ratio = r
	}
	if t.has("service_name") {
		if c.ServiceName = t.str("service_name"); c.ServiceName == "" {
			t.errKey("service_name", "empty")
		}
	}
	if h := t.sub("headers"); h != nil {
		c.Headers = map[string]string{}
		for _, k := range h.v.keys {
			v := h.str(k)
			if err := tracing.CheckHeader(k, v); err != nil {
				h.errKey(k, "%v", err)
			}
			c.Headers[k] = v
		}
		h.done()
	}
	https := strings.HasPrefix(c.Endpoint, "https://")
	for _, k := range []string{"ca_file", "cert_file", "key_file"} {
		if !t.has(k) {
			continue
		}
		p := l.path(t, k, "")
		if !https {
			t.errKey(k, "needs an https endpoint")
		}
		switch k {
		case "ca_file":
			c.CAFile = p
		case "cert_file":
			c.CertFile = p
		default:
			c.KeyFile = p
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		k := "cert_file"
		if c.CertFile == "" {
			k = "key_file"
		}
		t.errKey(k, "cert_file and key_file go together")
	}
	c.QueueSize = t.integer("queue_size", 1, 1<<20)
	t.done()
	cfg.Tracing = c
}

// ratio reads a number from 0 to 1 (a float, or the integers 0 and 1).
func ratio(t *table, key string) (float64, bool) {
	v, ok := t.v.fields[key]
	if !ok {
		return 0, false
	}
	t.used[key] = true
	var r float64
	switch v.kind {
	case kInteger:
		r = float64(v.num)
	case kFloat:
		var err error
		if r, err = strconv.ParseFloat(strings.ReplaceAll(v.str, "_", ""), 64); err != nil {
			t.errKey(key, "%q is not a number", v.str)
			return 0, false
		}
	default:
		t.errKey(key, "expected a number from 0 to 1, found %s", v.kind)
		return 0, false
	}
	if math.IsNaN(r) || r < 0 || r > 1 {
		t.errKey(key, "%v is not between 0 and 1 (0.01 samples 1%% of new traces)", r)
		return 0, false
	}
	return r, true
}
