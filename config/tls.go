package config

import (
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/tlsparam"
)

// listenerTLS reads the TLS parameters of a [[listeners]] table (https
// only; the order refuses them elsewhere, at their key):
//
//	cipher_suites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", ...]  # TLS 1.2 suites, IANA names; default: the six ECDHE+AEAD suites
//	curves = ["X25519", "P-256"]          # default: X25519, X25519MLKEM768, P-256, P-384
//	session_ticket_lifetime = "12h"       # 1m to 12h, default 12h
//	client_auth = "required"              # client certificates: required, optional or none (default)
//	client_ca = "certs/clients-ca.pem"    # the CA bundle they must chain to (with client_auth)
//	ocsp_stapling = false                 # OCSP stapling for certificates naming a responder; default true
//	acme = true                           # certificates for the host names from the [acme] CA; default false
//
// A name that is refused is reported at its position in the array (and
// the list is dropped, so that the order does not report it again).
func (l *loader) listenerTLS(t *table) order.ListenerTLS {
	lt := order.ListenerTLS{
		CipherSuites:          names(t, "cipher_suites", func(n []string) error { _, err := tlsparam.Suites(n); return err }),
		Curves:                names(t, "curves", func(n []string) error { _, err := tlsparam.Curves(n); return err }),
		SessionTicketLifetime: order.Duration(t.duration("session_ticket_lifetime")),
		ClientAuth:            t.str("client_auth"),
	}
	if _, b, ok := l.readFile(t, "client_ca"); ok {
		lt.ClientCA = string(b)
	}
	if v := t.get("ocsp_stapling", kBool); v != nil {
		on := v.b
		lt.OCSPStapling = &on
	}
	lt.ACME = t.boolean("acme")
	if lt.ACME && !l.acme {
		t.errKey("acme", "needs an [acme] section (at least agree_terms = true; see docs/tls.md)")
	}
	return lt
}

// names reads the array of strings at key and checks it element by
// element (a prefix at a time, so that a repeated name is found where it
// repeats), reporting the first bad one at its position; nil then.
func names(t *table, key string, check func([]string) error) []string {
	list := t.strings(key)
	if list == nil {
		return nil
	}
	items := t.v.fields[key].items
	for i := range list {
		if err := check(list[:i+1]); err != nil {
			t.ps.add(items[i].at, "%s[%d]: %s", t.keyPath(key), i, err)
			return nil
		}
	}
	return list
}

// backendTLSKeys are the keys of a cluster's TLS to its backends, other
// than tls itself.
var backendTLSKeys = []string{"tls_ca", "tls_server_name", "tls_insecure_skip_verify", "tls_client_certificate", "tls_client_key"}

// backendTLS reads the TLS settings of a [clusters.ID] table, or nil when
// tls is not true:
//
//	tls = true                           # speak TLS to the backends (verified against the system's roots)
//	tls_ca = "certs/internal-ca.pem"     # verify against this CA bundle instead
//	tls_server_name = "api.internal"     # SNI and verified name; default the backend's host
//	tls_insecure_skip_verify = false     # true accepts any certificate: tests only
//	tls_client_certificate = "certs/proxy.pem"  # mTLS: our certificate (and chain) ...
//	tls_client_key = "certs/proxy.key"          # ... and its key
//
// A tls_* key without tls = true is an error at that key.
func (l *loader) backendTLS(t *table) *order.BackendTLS {
	on := t.boolean("tls")
	if !on {
		if k := markRead(t, backendTLSKeys); k != "" {
			t.errKey(k, "needs tls = true in the cluster")
		}
		return nil
	}
	bt := &order.BackendTLS{
		ServerName:         t.str("tls_server_name"),
		InsecureSkipVerify: t.boolean("tls_insecure_skip_verify"),
	}
	if _, b, ok := l.readFile(t, "tls_ca"); ok {
		bt.CA = string(b)
	}
	if _, b, ok := l.readFile(t, "tls_client_certificate"); ok {
		bt.ClientCertificate = string(b)
	}
	if _, b, ok := l.readFile(t, "tls_client_key"); ok {
		bt.ClientKey = string(b)
	}
	return bt
}
