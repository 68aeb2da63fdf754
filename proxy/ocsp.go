package proxy

import (
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/staple"
)

// syncStaples gives the OCSP manager the certificates to staple now: those
// of every https listener with ocsp_stapling on (the default). Called
// after every change of certificates or listeners; the manager starts and
// stops its fetching goroutines to match.
func (p *proxy) syncStaples() {
	var items []staple.Item
	for addr, rl := range p.listeners {
		if rl.tls.Load() == nil || !rl.conf.Stapling() {
			continue
		}
		certs, _ := p.state.ServedCerts(addr)
		for _, c := range certs {
			items = append(items, staple.Item{Listener: addr, Cert: c, M: rl.shared.M})
		}
	}
	p.staples.Sync(items)
}

// reportStaple logs, counts and publishes the outcome of an OCSP fetch.
// It runs on the manager's goroutines.
func (p *proxy) reportStaple(r staple.Report) {
	ev := order.Event{Time: eventTime(), Address: r.Listener, Fingerprint: r.Cert.Fingerprint}
	if r.Err == nil {
		if r.M != nil {
			r.M.OCSPStaples.Inc()
		}
		next := r.NextUpdate.UTC().Format(time.RFC3339)
		p.cfg.Logger.Info("ocsp response stapled", "listener", r.Listener, "fingerprint", r.Cert.Fingerprint,
			"responder", r.URL, "next_update", next)
		ev.Kind, ev.Reason = order.OCSPStapled, "valid until "+next
		p.events.publish(ev)
		return
	}
	if r.M != nil {
		r.M.OCSPFailures.Inc()
	}
	kept := "no staple served"
	if r.Kept {
		kept = "the last good response is still stapled until its nextUpdate"
	}
	log := p.cfg.Logger.Warn
	if r.Revoked {
		log = p.cfg.Logger.Error
	}
	log("ocsp stapling failed", "listener", r.Listener, "fingerprint", r.Cert.Fingerprint,
		"responder", r.URL, "error", r.Err, "staple", kept)
	ev.Kind, ev.Reason = order.OCSPFailed, r.Err.Error()+"; "+kept
	p.events.publish(ev)
}
