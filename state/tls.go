package state

import "github.com/sluiceproxy/sluice/order"

// The TLS settings of listeners and clusters, as the state compares and
// diffs them.

// normListenerTLS gives equal TLS settings equal values: nil for empty
// lists, "" for client_auth "none".
func normListenerTLS(t order.ListenerTLS) order.ListenerTLS {
	if len(t.CipherSuites) == 0 {
		t.CipherSuites = nil
	}
	if len(t.Curves) == 0 {
		t.Curves = nil
	}
	if t.ClientAuth == "none" {
		t.ClientAuth = ""
	}
	if t.OCSPStapling != nil && *t.OCSPStapling {
		t.OCSPStapling = nil // the default
	}
	return t
}

// listenerTLSUpdate gives the TLS fields of the update_listener that turns
// old into l.
func listenerTLSUpdate(old, l order.ListenerTLS) order.UpdateListenerTLS {
	return order.UpdateListenerTLS{
		CipherSuites:          opt(old.CipherSuites, l.CipherSuites),
		Curves:                opt(old.Curves, l.Curves),
		SessionTicketLifetime: opt(old.SessionTicketLifetime, l.SessionTicketLifetime),
		ClientAuth:            opt(old.ClientAuth, l.ClientAuth),
		ClientCA:              opt(old.ClientCA, l.ClientCA),
		OCSPStapling:          opt(old.OCSPStapling, l.OCSPStapling),
		ACME:                  opt(old.ACME, l.ACME),
	}
}
