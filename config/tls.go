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
//
// A name that is refused is reported at its position in the array (and
// the list is dropped, so that the order does not report it again).
func listenerTLS(t *table) order.ListenerTLS {
	return order.ListenerTLS{
		CipherSuites:          names(t, "cipher_suites", func(n []string) error { _, err := tlsparam.Suites(n); return err }),
		Curves:                names(t, "curves", func(n []string) error { _, err := tlsparam.Curves(n); return err }),
		SessionTicketLifetime: order.Duration(t.duration("session_ticket_lifetime")),
	}
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
