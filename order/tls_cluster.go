package order

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"strings"
)

// BackendTLS makes an http cluster speak TLS to its backends (HAProxy's
// "server ... ssl", Caddy's "transport http { tls }"). The zero value is
// TLS with the defaults: the server's certificate verified against the
// system's roots, for the backend's host name (its address's host), with
// that name as SNI, no client certificate; ALPN as the cluster's
// backend_protocol says.
type BackendTLS struct {
	// CA is a PEM bundle of the certificates that may sign the backends'
	// chains, instead of the system's roots (HAProxy's ca-file, Caddy's
	// tls_trusted_ca_certs). In the configuration file it is a file name.
	CA string `json:"ca,omitempty"`
	// ServerName is sent as SNI and verified against the backend's
	// certificate, instead of the host of the backend's address (HAProxy's
	// sni and verifyhost, Caddy's tls_server_name). A backend given as an
	// IP address without a server name is verified for that IP (its
	// certificate needs it as an IP SAN) and sends no SNI.
	ServerName string `json:"server_name,omitempty"`
	// InsecureSkipVerify accepts any certificate the backend shows
	// (HAProxy's verify none): encrypted, but not authenticated; anyone on
	// the path can read and change the traffic. For tests only.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// ClientCertificate and ClientKey (PEM; the certificate may be
	// followed by its chain) are shown to backends that ask for a client
	// certificate (mTLS; HAProxy's crt, Caddy's tls_client_auth). Both or
	// neither. The key is left out of listings and dumps unless asked.
	ClientCertificate string `json:"client_certificate,omitempty"`
	ClientKey         string `json:"client_key,omitempty"`
}

// validate checks the PEM data, the server name and that the cluster may
// speak TLS (an http cluster).
func (t *BackendTLS) validate(c *Cluster) error {
	if t == nil {
		return nil
	}
	switch {
	case c.Protocol == TCP:
		return fieldErr("cluster.tls", "TLS to backends is for http clusters; a tcp cluster relays bytes as they come")
	}
	if t.CA != "" {
		if err := checkCA("cluster.tls.ca", t.CA); err != nil {
			return err
		}
	}
	if t.ServerName != "" && !IsHostName(t.ServerName) && !isIP(t.ServerName) {
		return fieldErr("cluster.tls.server_name", "%q is not a host name or an IP address", t.ServerName)
	}
	switch {
	case (t.ClientCertificate == "") != (t.ClientKey == ""):
		return fieldErr("cluster.tls.client_certificate", "client_certificate and client_key go together")
	case t.ClientCertificate != "":
		if t.ClientKey == OmittedKey {
			return fieldErr("cluster.tls.client_key", "the key was omitted from a listing; give the PEM key")
		}
		if _, err := tls.X509KeyPair([]byte(t.ClientCertificate), []byte(t.ClientKey)); err != nil {
			return fieldErr("cluster.tls.client_key", "%s", strings.TrimPrefix(err.Error(), "tls: "))
		}
	}
	return nil
}

// checkCA checks that a CA bundle holds certificates, and only those.
func checkCA(field, bundle string) error {
	rest := []byte(bundle)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fieldErr(field, "holds a %s block; a CA bundle holds certificates only", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fieldErr(field, "certificate %d: %s", n+1, err)
		}
		n++
	}
	if n == 0 {
		return fieldErr(field, "no PEM certificate found")
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return fieldErr(field, "text after the last certificate is not PEM")
	}
	return nil
}

// omitKey returns t with its client key replaced by OmittedKey (a copy;
// t is not modified).
func (t *BackendTLS) omitKey() *BackendTLS {
	if t == nil || t.ClientKey == "" {
		return t
	}
	c := *t
	c.ClientKey = OmittedKey
	return &c
}
