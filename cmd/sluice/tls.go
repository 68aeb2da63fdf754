package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sluiceproxy/sluice/order"
)

// listenerTLSFlags adds --cipher-suites, --curves and
// --session-ticket-lifetime to an https listener's add or update command
// and returns a function giving the update they describe (only the flags
// given); add takes its values whole.
func listenerTLSFlags(cmd *cobra.Command) func() (order.UpdateListenerTLS, error) {
	f := cmd.Flags()
	f.StringSlice("cipher-suites", nil, "TLS 1.2 cipher suites, IANA names (default the six ECDHE suites with AES-GCM or ChaCha20-Poly1305)")
	f.StringSlice("curves", nil, "key-exchange groups: X25519, X25519MLKEM768, P-256, P-384, P-521 (default the first four)")
	f.String("session-ticket-lifetime", "", "how long a session ticket resumes a session, 1m to 12h (default 12h)")
	return func() (order.UpdateListenerTLS, error) { return listenerTLSUpdate(f) }
}

func listenerTLSUpdate(f *pflag.FlagSet) (order.UpdateListenerTLS, error) {
	var o order.UpdateListenerTLS
	if f.Changed("cipher-suites") {
		v, _ := f.GetStringSlice("cipher-suites")
		o.CipherSuites = order.Some(v)
	}
	if f.Changed("curves") {
		v, _ := f.GetStringSlice("curves")
		o.Curves = order.Some(v)
	}
	d, err := optDuration(f, "session-ticket-lifetime")
	o.SessionTicketLifetime = d
	return o, err
}

// applyListenerTLS sets the TLS fields of l that u gives.
func applyListenerTLS(l *order.Listener, u order.UpdateListenerTLS) {
	l.CipherSuites = u.CipherSuites.V
	l.Curves = u.Curves.V
	l.SessionTicketLifetime = u.SessionTicketLifetime.V
}
