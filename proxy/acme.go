package proxy

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/order"
)

// ACME certificates (Config.ACME; order.ListenerTLS.ACME and
// order.HTTPFrontend.ACME). The manager (package acme) runs a goroutine
// per host name of the https frontends with acme = true and of every
// https frontend of the listeners with acme = true; its reports come to
// the proxy's loop (acmeIn), which publishes each certificate on the
// listeners serving the name with add_certificate, or
// replace_certificate for the one it published before for the name, so
// state, listings, saved state and metrics see them as any certificate.
// HTTP-01 tokens are answered by the exchange stage on http listeners
// (exchange.Env.Challenges), TLS-ALPN-01 by the handshake of every https
// listener (handshake.Settings.ALPNChallenge), both only with Config.ACME.

// newACME sets the proxy's ACME side up when the configuration has one.
func (p *proxy) newACME() {
	if p.cfg.ACME == nil {
		return
	}
	o := *p.cfg.ACME
	if o.Logger == nil {
		o.Logger = p.cfg.Logger
	}
	p.challenges = acme.NewChallenges()
	m, err := acme.New(o, p.challenges, p.acmeReport)
	if err != nil {
		p.cfg.Logger.Error("acme: not started", "error", err)
		return
	}
	p.acme = m
	p.acmeIn = make(chan acme.Report)
	p.acmePublished = map[string]string{}
	p.acmeCerts = map[string]*acme.Cert{}
	p.acmeSkipped = map[string]bool{}
	p.xenv.Challenges = p.challenges
}

// alpnChallenge is the TLS-ALPN-01 answer of an https listener: with an
// ACME manager every https listener answers validations (a frontend may
// ask for a certificate on any of them).
func (p *proxy) alpnChallenge(order.Listener) func(string) *tls.Certificate {
	if p.acme == nil {
		return nil
	}
	return p.challenges.TLSALPN01
}

// acmeReport hands a report of the manager's goroutines to the loop.
func (p *proxy) acmeReport(ctx context.Context, r acme.Report) {
	select {
	case p.acmeIn <- r:
	case <-ctx.Done():
	}
}

// acmeHostname tells whether an https frontend's hostname can get an
// ACME certificate: an exact DNS name (not "*", a wildcard, a regex
// label or an IP address), which it returns lower case.
func acmeHostname(h string) (string, bool) {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || strings.ContainsAny(h, "*/") || net.ParseIP(h) != nil {
		return h, false
	}
	return h, true
}

// acmeNames gives the host names of the https frontends with acme = true
// and of every https frontend of the listeners with acme = true and, per
// name, the addresses of the listeners serving it.
func (p *proxy) acmeNames() map[string][]string {
	var on []string
	for addr, rl := range p.listeners {
		if rl.conf.Protocol == order.HTTPS && rl.conf.ACME {
			on = append(on, addr)
		}
	}
	names := map[string][]string{}
	for _, f := range p.state.HTTPFrontends(order.HTTPS) {
		if !f.ACME && !slices.Contains(on, f.Address) {
			continue
		}
		h, ok := acmeHostname(f.Hostname)
		if !ok {
			if key := f.Address + " " + f.Hostname; !p.acmeSkipped[key] && p.acmeSkipped != nil {
				p.acmeSkipped[key] = true
				reason := "a wildcard, regex or IP hostname cannot be validated by HTTP-01 nor TLS-ALPN-01 (a wildcard needs DNS-01, which Sluice does not answer): add a certificate for it"
				p.cfg.Logger.Warn("acme: hostname skipped", "listener", f.Address, "hostname", f.Hostname, "reason", reason)
				p.events.publish(order.Event{Kind: order.ACMEFailed, Time: eventTime(), Address: f.Address,
					Hostname: f.Hostname, Reason: reason})
			}
			continue
		}
		if !slices.Contains(names[h], f.Address) {
			names[h] = append(names[h], f.Address)
		}
	}
	return names
}

// syncACME gives the manager the host names to keep certificates for.
// Called after every change of the state (commit); without ACME it looks
// at the listeners only (a frontend's acme = true without an [acme]
// section is refused by the configuration file's check).
func (p *proxy) syncACME() {
	if p.acme == nil {
		for _, rl := range p.listeners {
			if rl.conf.ACME && !p.acmeWarned {
				p.acmeWarned = true
				p.cfg.Logger.Error("acme: a listener has acme = true but the configuration has no [acme] section: no certificate is obtained")
			}
		}
		return
	}
	names := p.acmeNames()
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	p.acme.Sync(list)
	p.acmeEnsure(names)
}

// acmeResult handles a report of the manager on the loop: a failure is
// logged, counted and published as an event; a certificate is published
// on every acme listener serving its name.
func (p *proxy) acmeResult(r acme.Report) {
	addrs := p.acmeNames()[r.Name]
	next := r.Next.UTC().Format(time.RFC3339)
	if r.Err != nil {
		p.cfg.Logger.Warn("acme: certificate not obtained", "hostname", r.Name, "challenge", r.Challenge,
			"error", r.Err, "failures", r.Failures, "next_attempt", next)
		reason := r.Err.Error() + "; next attempt at " + next + "; the certificate served, if any, stays"
		for _, a := range addrs {
			if m := p.listeners[a].shared.M; m != nil {
				m.ACMEFailures.Inc()
			}
			p.events.publish(order.Event{Kind: order.ACMEFailed, Time: eventTime(), Address: a, Hostname: r.Name, Reason: reason})
		}
		return
	}
	p.acmeCerts[r.Name] = r.Cert
	how := "obtained by " + r.Challenge
	if r.FromDisk {
		how = "loaded from storage"
	}
	for _, a := range addrs {
		p.acmePublish(a, r.Name, r.Cert, how, next)
	}
}

// acmeEnsure publishes again the certificate of each managed name on
// each acme listener that lacks it: one removed by hand or by a reload
// (the configuration file does not hold it), a frontend or listener
// that came after the certificate. Called after every commit.
func (p *proxy) acmeEnsure(names map[string][]string) {
	for n := range p.acmeCerts {
		if _, ok := names[n]; !ok {
			delete(p.acmeCerts, n)
		}
	}
	for n, addrs := range names {
		c := p.acmeCerts[n]
		if c == nil {
			continue
		}
		for _, a := range addrs {
			p.acmePublish(a, n, c, "published again", acme.RenewAt(c.Leaf.NotBefore, c.Leaf.NotAfter).UTC().Format(time.RFC3339))
		}
	}
}

// acmePublish puts c on the listener at addr for name, unless it is
// there: replacing the certificate published before for the name, else
// adding it; it logs, counts and publishes the event.
func (p *proxy) acmePublish(addr, name string, c *acme.Cert, how, next string) {
	sum := sha256.Sum256(c.Leaf.Raw)
	fp := hex.EncodeToString(sum[:])
	key := addr + " " + name
	have := map[string]bool{}
	for _, ci := range p.state.Certificates(addr) {
		have[ci.Fingerprint] = true
	}
	if have[fp] { // published before (a saved state at start, say)
		p.acmePublished[key] = fp
		return
	}
	if !time.Now().Before(c.Leaf.NotAfter) {
		return // expired: its renewal is overdue and reported
	}
	ck := order.CertificateAndKey{Certificate: string(c.Chain), Key: string(c.Key)}
	var o order.Order = order.AddCertificate{Address: addr, Certificate: ck}
	if old := p.acmePublished[key]; old != "" && have[old] {
		o = order.ReplaceCertificate{Address: addr, OldFingerprint: old, Certificate: ck}
	}
	p.acmePublished[key] = fp // before apply: its commit comes back here
	if err := p.apply(o); err != nil {
		delete(p.acmePublished, key)
		p.cfg.Logger.Error("acme: certificate refused", "listener", addr, "hostname", name, "error", err)
		if m := p.listeners[addr].shared.M; m != nil {
			m.ACMEFailures.Inc()
		}
		p.events.publish(order.Event{Kind: order.ACMEFailed, Time: eventTime(), Address: addr, Hostname: name,
			Reason: "publishing the certificate: " + err.Error()})
		return
	}
	p.changed("acme", o)
	if err := p.persist(); err != nil {
		p.cfg.Logger.Error("acme: saved state not written", "error", err)
	}
	if m := p.listeners[addr].shared.M; m != nil {
		m.ACMECertificates.Inc()
	}
	expiry := c.Leaf.NotAfter.UTC().Format(time.RFC3339)
	p.cfg.Logger.Info("acme: certificate published", "listener", addr, "hostname", name, "fingerprint", fp,
		"how", how, "not_after", expiry, "renewal", next)
	p.events.publish(order.Event{Kind: order.ACMEObtained, Time: eventTime(), Address: addr, Hostname: name,
		Fingerprint: fp, Reason: how + "; valid until " + expiry + "; renewal at " + next})
}
