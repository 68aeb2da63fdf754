package tracing

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config is the [tracing] table.
type Config struct {
	// Endpoint is the collector's URL: "http://host:port" (plaintext) or
	// "https://host:port" (TLS). Without a port, 4318 (HTTP) or 4317
	// (gRPC); with HTTP and no path, the path is /v1/traces. Empty means
	// tracing is off.
	Endpoint string
	// Protocol is "http/protobuf" (the default) or "grpc".
	Protocol string
	// Ratio is the share of new traces sampled, 0 to 1 (default 1): a
	// request with a valid traceparent follows its sampled flag instead.
	Ratio float64
	// ServiceName is the service.name of the spans; default "sluice".
	ServiceName string
	// Headers are sent with every export (an API key, say).
	Headers map[string]string
	// Insecure allows a plaintext (http://) endpoint that is not a
	// loopback address; without it such an endpoint is refused, so that
	// request paths do not cross a network in clear by mistake.
	Insecure bool
	// CAFile verifies an https endpoint's certificate instead of the
	// system's roots; CertFile and KeyFile are a client certificate
	// (both or neither). Paths are absolute.
	CAFile, CertFile, KeyFile string
	// QueueSize bounds the spans waiting for export (default 2048): when
	// full, a span is dropped and counted.
	QueueSize int
	// BatchSize is the most spans of one export (default 512);
	// BatchTimeout the longest a span waits for its batch to fill
	// (default 1s); ExportTimeout bounds one export (default 10s).
	BatchSize     int
	BatchTimeout  time.Duration
	ExportTimeout time.Duration
}

// Protocols.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Defaults.
const (
	DefaultServiceName   = "sluice"
	DefaultQueueSize     = 2048
	DefaultBatchSize     = 512
	DefaultBatchTimeout  = time.Second
	DefaultExportTimeout = 10 * time.Second
)

// withDefaults returns c with its zero fields set to their defaults
// (Ratio is not: 0 is a ratio).
func (c Config) withDefaults() Config {
	if c.Protocol == "" {
		c.Protocol = ProtocolHTTP
	}
	if c.ServiceName == "" {
		c.ServiceName = DefaultServiceName
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	c.BatchSize = min(c.BatchSize, c.QueueSize)
	if c.BatchTimeout <= 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.ExportTimeout <= 0 {
		c.ExportTimeout = DefaultExportTimeout
	}
	return c
}

// CheckEndpoint checks an endpoint URL for protocol and returns its
// host:port (default port filled in) and path, or an error saying what is
// wrong.
func CheckEndpoint(endpoint, protocol string, insecure bool) (hostPort, path string, err error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a URL", endpoint)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("%q: the scheme must be http or https", endpoint)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("%q: want scheme://host[:port][/path], no user, query or fragment", endpoint)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "4318"
		if protocol == ProtocolGRPC {
			port = "4317"
		}
	}
	path = u.Path
	switch protocol {
	case ProtocolGRPC:
		if path != "" && path != "/" {
			return "", "", fmt.Errorf("%q: a grpc endpoint has no path", endpoint)
		}
		path = ""
	case ProtocolHTTP:
		if path == "" || path == "/" {
			path = "/v1/traces"
		}
	default:
		return "", "", fmt.Errorf("protocol %q is not http/protobuf or grpc", protocol)
	}
	if u.Scheme == "http" && !insecure && !isLoopback(host) {
		return "", "", fmt.Errorf("%q sends traces in clear to a host that is not loopback: use https, or set insecure = true", endpoint)
	}
	return net.JoinHostPort(host, port), path, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckHeader refuses a header name that is not a token, or a value with
// control characters.
func CheckHeader(name, value string) error {
	if name == "" {
		return fmt.Errorf("an empty header name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("header name %q is not a token", name)
		}
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("the value of header %q has a control character", name)
		}
	}
	return nil
}

// Check reports the first problem of c, nil when it can start.
func (c Config) Check() error {
	c = c.withDefaults()
	if _, _, err := CheckEndpoint(c.Endpoint, c.Protocol, c.Insecure); err != nil {
		return err
	}
	if !(c.Ratio >= 0 && c.Ratio <= 1) {
		return fmt.Errorf("ratio %v is not between 0 and 1", c.Ratio)
	}
	for k, v := range c.Headers {
		if err := CheckHeader(k, v); err != nil {
			return err
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("cert_file and key_file go together")
	}
	if c.CAFile != "" || c.CertFile != "" {
		if u, _ := url.Parse(c.Endpoint); u.Scheme != "https" {
			return fmt.Errorf("ca_file, cert_file and key_file need an https endpoint")
		}
	}
	return nil
}
