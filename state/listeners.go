package state

import (
	"reflect"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/order"
)

// normListener gives equal listeners equal values: no default
// certificate (it is stored among the certificates), nil for empty maps
// and lists.
func normListener(l order.Listener) order.Listener {
	l.Certificate = nil
	if len(l.Answers) == 0 {
		l.Answers = nil
	}
	if len(l.TLSVersions) == 0 {
		l.TLSVersions = nil
	}
	l.ListenerTLS = normListenerTLS(l.ListenerTLS)
	return l
}

// sameSettings compares listeners ignoring whether they are active.
func sameSettings(a, b order.Listener) bool {
	a.Active, b.Active = false, false
	return reflect.DeepEqual(normListener(a), normListener(b))
}

// fixedChange returns the error an update from old to l gets when it
// changes what a listener keeps from its creation: its protocol, its
// per-IP cap (open connections are counted under the cap they came in
// with) and, on https listeners, the head limits its HTTP/2 connections
// were made with. Such a change takes removing and adding the listener.
func fixedChange(old, l order.Listener) error {
	const redo = "; remove the listener and add it again to change it"
	switch {
	case l.Protocol != old.Protocol:
		return order.Conflict("listener.protocol", "listener %s is %s%s", old.Address, old.Protocol, redo)
	case l.MaxConnectionsPerIP != old.MaxConnectionsPerIP:
		return order.Conflict("listener.max_connections_per_ip", "fixed while the listener exists (its open connections were counted under the old cap)%s", redo)
	case l.Protocol == order.HTTPS && l.MaxHeadBytes != old.MaxHeadBytes:
		return order.Conflict("listener.max_head_bytes", "fixed while an https listener exists (its HTTP/2 connections keep the limit they were made with)%s", redo)
	case l.Protocol == order.HTTPS && l.MaxHeaderFields != old.MaxHeaderFields:
		return order.Conflict("listener.max_header_fields", "fixed while an https listener exists (its HTTP/2 connections keep the limit they were made with)%s", redo)
	}
	return nil
}

// checkAnswers compiles answer templates, as the proxy will.
func checkAnswers(field string, answers map[string]string) error {
	if _, err := answer.Compile(answers); err != nil {
		return errf(field, "%s", err.Error())
	}
	return nil
}

func (t *step) addListener(l order.Listener) error {
	def := l.Certificate
	l = normListener(l)
	var dc storedCert
	if def != nil {
		c, err := parseCert(*def, "listener.certificate", t.s.time())
		if err != nil {
			return err
		}
		dc = storedCert{order: order.AddCertificate{Address: l.Address, Certificate: *def, Default: true}, parsed: c}
	}
	if old, ok := t.s.listeners.get(l.Address); ok {
		if old.Protocol != l.Protocol {
			return order.Conflict("listener.address", "the listener on %s is %s; remove it to change its protocol", l.Address, old.Protocol)
		}
		if !sameSettings(old, l) {
			return order.Conflict("listener.address", "a listener with other settings already exists on %s; change them with update_listener", l.Address)
		}
		if def != nil {
			if cur, ok := t.s.defaultCert(l.Address); !ok || cur.parsed.Fingerprint != dc.parsed.Fingerprint {
				return order.Conflict("listener.certificate", "listener %s has another default certificate or none; change it with replace_certificate or add_certificate", l.Address)
			}
		}
		if l.Active && !old.Active {
			return t.setActive(l.Address, true)
		}
		return nil // identical
	}
	if err := checkAnswers("listener.answers", l.Answers); err != nil {
		return err
	}
	if err := checkListenerRoute(l); err != nil {
		return err
	}
	if l.Active {
		t.emit(Bind{Address: l.Address})
	}
	t.s.listeners = t.s.listeners.with(l.Address, l)
	t.emit(CreateListener{Listener: l})
	if def != nil {
		t.s.certs = t.s.certs.with(l.Address, pmap[string, storedCert]{}.with(dc.parsed.Fingerprint, dc))
		t.emit(PublishCertificates{Address: l.Address})
	}
	if l.Active {
		t.emit(Activate{Address: l.Address})
	}
	return nil
}

func (t *step) updateListener(o order.UpdateListener) error {
	old, ok := t.s.listeners.get(o.Address)
	if !ok {
		return order.NotFound("listener.address", "no listener on %s", o.Address)
	}
	l := normListener(o.Patch(old))
	if err := l.Validate(); err != nil {
		return err
	}
	if err := fixedChange(old, l); err != nil {
		return err
	}
	if err := checkAnswers("listener.answers", l.Answers); err != nil {
		return err
	}
	if err := checkListenerRoute(l); err != nil {
		return err
	}
	if reflect.DeepEqual(l, old) {
		return nil
	}
	t.s.listeners = t.s.listeners.with(l.Address, l)
	t.emit(ListenerSettings{Listener: l})
	return nil
}

func (t *step) setActive(addr string, active bool) error {
	l, ok := t.s.listeners.get(addr)
	if !ok {
		return order.NotFound("listener.address", "no listener on %s", addr)
	}
	if l.Active == active {
		return nil
	}
	l.Active = active
	t.s.listeners = t.s.listeners.with(addr, l)
	if active {
		t.emit(Bind{Address: addr}, Activate{Address: addr})
	} else {
		t.emit(Deactivate{Address: addr})
	}
	return nil
}

// removeListener removes the listener with its frontends and certificates.
func (t *step) removeListener(addr string) error {
	if !t.s.listeners.has(addr) {
		return order.NotFound("listener.address", "no listener on %s", addr)
	}
	for k := range t.s.http.all {
		if k.address == addr {
			t.s.http = t.s.http.without(k)
		}
	}
	for k := range t.s.tcp.all {
		if k.address == addr {
			t.s.tcp = t.s.tcp.without(k)
		}
	}
	t.s.certs = t.s.certs.without(addr)
	t.s.listeners = t.s.listeners.without(addr)
	t.emit(CloseListener{Address: addr})
	return nil
}
