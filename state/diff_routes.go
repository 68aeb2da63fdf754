package state

import (
	"reflect"

	"github.com/sluiceproxy/sluice/order"
)

// The frontend and certificate steps of Diff.

// frontendStays reports whether a frontend of s can stay (or be updated):
// its listener and its cluster, if any, stay.
func (d *differ) frontendStays(addr, cluster string) bool {
	return d.listenerStays(addr) && (cluster == "" || d.clusterStays(cluster))
}

func (d *differ) removeFrontends() {
	for _, p := range []order.Protocol{order.HTTP, order.HTTPS} {
		for _, f := range d.s.HTTPFrontends(p) {
			if nf, ok := d.b.http.get(httpKey(f)); ok && updatable(f, nf) || !d.frontendStays(f.Address, f.ClusterID) {
				continue // kept or updated; or removed with its listener or cluster
			}
			if p == order.HTTP {
				d.emit(order.RemoveHTTPFrontend{HTTPFrontend: f})
			} else {
				d.emit(order.RemoveHTTPSFrontend{HTTPFrontend: f})
			}
		}
	}
	for _, f := range d.s.TCPFrontends() {
		if !d.b.tcp.has(keyOfTCP(f)) && d.frontendStays(f.Address, f.ClusterID) {
			d.emit(order.RemoveTCPFrontend{TCPFrontend: f})
		}
	}
}

// frontends adds the frontends of b that s lacks and points those whose
// target changed to it.
func (d *differ) frontends() {
	for _, p := range []order.Protocol{order.HTTP, order.HTTPS} {
		for _, f := range d.b.HTTPFrontends(p) {
			old, ok := d.s.http.get(httpKey(f))
			if ok && !updatable(old, f) {
				ok = false // removed above; added again
			}
			switch {
			case !ok && p == order.HTTP:
				d.emit(order.AddHTTPFrontend{HTTPFrontend: f})
			case !ok:
				d.emit(order.AddHTTPSFrontend{HTTPFrontend: f})
			case reflect.DeepEqual(old, f):
			case p == order.HTTP:
				d.emit(order.FrontendUpdate(f))
			default:
				d.emit(order.UpdateHTTPSFrontend(order.FrontendUpdate(f)))
			}
		}
	}
	for _, f := range d.b.TCPFrontends() {
		old, ok := d.s.tcp.get(keyOfTCP(f))
		switch {
		case !ok:
			d.emit(order.AddTCPFrontend{TCPFrontend: f})
		case old != f:
			d.emit(order.UpdateTCPFrontend{TCPFrontend: f})
		}
	}
}

// updatable reports whether an update order can turn frontend a into b
// (same key): not when b has neither cluster nor deny (a redirect
// frontend without cluster) and a has a target, since an update without
// cluster_id and deny keeps the target.
func updatable(a, b order.HTTPFrontend) bool {
	return b.ClusterID != "" || b.Deny || a.ClusterID == "" && !a.Deny
}

// certChange is how the certificates of a listener that stays change.
type certChange struct {
	gone, added []storedCert // in s only, in b only (or changed)
	// replace is set when the default certificate changes for one that
	// is new: it is swapped with replace_certificate.
	replace bool
	oldDef  storedCert
	newDef  storedCert
}

func (d *differ) certChange(addr string) certChange {
	var c certChange
	cur, _ := d.s.certs.get(addr)
	want, _ := d.b.certs.get(addr)
	for _, fp := range sortedKeys(cur) {
		sc, _ := cur.get(fp)
		if wc, ok := want.get(fp); !ok || !reflect.DeepEqual(wc.order, sc.order) {
			c.gone = append(c.gone, sc)
		}
	}
	for _, fp := range sortedKeys(want) {
		wc, _ := want.get(fp)
		if sc, ok := cur.get(fp); !ok || !reflect.DeepEqual(wc.order, sc.order) {
			c.added = append(c.added, wc)
		}
	}
	od, okOld := d.s.defaultCert(addr)
	nd, okNew := d.b.defaultCert(addr)
	if okOld && okNew && !want.has(od.parsed.Fingerprint) && !cur.has(nd.parsed.Fingerprint) {
		c.replace, c.oldDef, c.newDef = true, od, nd
	}
	return c
}

func (d *differ) removeCertificates() {
	for _, addr := range sortedKeys(d.s.certs) {
		if !d.listenerStays(addr) {
			continue // removed with its listener
		}
		c := d.certChange(addr)
		for _, sc := range c.gone {
			if c.replace && sc.parsed == c.oldDef.parsed {
				continue // replaced below
			}
			d.emit(order.RemoveCertificate{Address: addr, Fingerprint: sc.parsed.Fingerprint})
		}
	}
}

func (d *differ) addCertificates() {
	for _, addr := range sortedKeys(d.b.certs) {
		c := d.certChange(addr)
		for _, wc := range c.added {
			if c.replace && wc.parsed == c.newDef.parsed {
				d.emit(order.ReplaceCertificate{Address: addr, OldFingerprint: c.oldDef.parsed.Fingerprint,
					Certificate: wc.order.Certificate})
				continue
			}
			d.emit(wc.order)
		}
	}
}
