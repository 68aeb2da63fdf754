package state

import "github.com/sluiceproxy/sluice/order"

// The tcp frontends: one default route per listener (no hostname) and any
// number of server-name (SNI) routes.

// tcpKey identifies a tcp frontend: its listener and normalised hostname
// ("" for the default route).
type tcpKey struct{ address, hostname string }

// keyOfTCP returns f's key; f's hostname is normalised already.
func keyOfTCP(f order.TCPFrontend) tcpKey { return tcpKey{f.Address, f.Hostname} }

// normalizeTCP returns f with its hostname in normal form, or the error
// naming a bad one.
func normalizeTCP(f order.TCPFrontend) (order.TCPFrontend, error) {
	h, err := order.NormalizeSNI("frontend.hostname", f.Hostname)
	f.Hostname = h
	return f, err
}

// route names f's route in messages: "listener A" or "listener A for
// server name H".
func route(f order.TCPFrontend) string {
	if f.Hostname == "" {
		return "listener " + f.Address
	}
	return "listener " + f.Address + " for server name " + f.Hostname
}

func (t *step) addTCPFrontend(f order.TCPFrontend) error {
	f, err := normalizeTCP(f)
	if err != nil {
		return err
	}
	if err := t.s.needListener(f.Address, order.TCP); err != nil {
		return err
	}
	if err := t.s.needCluster("frontend.cluster_id", f.ClusterID, order.TCP); err != nil {
		return err
	}
	if old, ok := t.s.tcp.get(keyOfTCP(f)); ok {
		if old == f {
			return nil // identical
		}
		return order.Conflict("frontend.address", "%s already sends to cluster %q; change it with update_tcp_frontend", route(f), old.ClusterID)
	}
	t.s.tcp = t.s.tcp.with(keyOfTCP(f), f)
	t.emit(SetTCPRoute{Address: f.Address, Hostname: f.Hostname, ClusterID: f.ClusterID})
	return nil
}

func (t *step) updateTCPFrontend(f order.TCPFrontend) error {
	f, err := normalizeTCP(f)
	if err != nil {
		return err
	}
	if err := t.s.needListener(f.Address, order.TCP); err != nil {
		return err
	}
	if err := t.s.needCluster("frontend.cluster_id", f.ClusterID, order.TCP); err != nil {
		return err
	}
	old, ok := t.s.tcp.get(keyOfTCP(f))
	if !ok {
		if f.Hostname != "" {
			return order.NotFound("frontend.hostname", "listener %s has no frontend for server name %s; add it with add_tcp_frontend", f.Address, f.Hostname)
		}
		return order.NotFound("frontend.address", "listener %s has no default frontend; add it with add_tcp_frontend", f.Address)
	}
	if old == f {
		return nil
	}
	t.s.tcp = t.s.tcp.with(keyOfTCP(f), f)
	t.emit(SetTCPRoute{Address: f.Address, Hostname: f.Hostname, ClusterID: f.ClusterID})
	return nil
}

func (t *step) removeTCPFrontend(f order.TCPFrontend) error {
	f, err := normalizeTCP(f)
	if err != nil {
		return err
	}
	if !t.s.tcp.has(keyOfTCP(f)) {
		if f.Hostname != "" {
			return order.NotFound("frontend.hostname", "no tcp frontend on %s for server name %s", f.Address, f.Hostname)
		}
		return order.NotFound("frontend.address", "no tcp frontend on %s", f.Address)
	}
	t.s.tcp = t.s.tcp.without(keyOfTCP(f))
	t.emit(SetTCPRoute{Address: f.Address, Hostname: f.Hostname})
	return nil
}
