package state

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/sluiceproxy/sluice/order"
)

// Effect is one change of the running proxy that an order implies, as
// data: Apply returns them, in the order they must run, and the proxy
// executes them (proxy/effects.go); nothing else in the proxy looks at
// orders that change the configuration.
//
// Two phases. Bind is the one effect that can fail when it runs (the
// address may be taken): the proxy runs every Bind of an order, or of a
// whole batch, before it adopts the new State, and closes the sockets it
// opened if one fails, so the order is refused and nothing changed. Every
// other effect cannot fail once Apply accepted the order (answer
// templates, certificates, references and conflicts are all checked
// here): the proxy runs them after adopting the new State, in order.
// Effects that publish a snapshot (PublishCertificates) read it from the
// adopted State, so running one twice is harmless.
type Effect interface {
	effect()
	// String is a one-line summary, as transcripts show it.
	String() string
}

// Bind opens the listening socket of a listener about to become active,
// without accepting yet (Activate starts accepting). It may fail.
type Bind struct{ Address string }

// CreateListener makes the runtime side of a new listener (inactive): its
// settings, and for https its TLS server with no certificate yet.
type CreateListener struct{ Listener order.Listener }

// ListenerSettings publishes a listener's new settings.
type ListenerSettings struct{ Listener order.Listener }

// Activate starts accepting on the socket Bind opened.
type Activate struct{ Address string }

// Deactivate closes a listener's socket; exchanges in flight finish.
type Deactivate struct{ Address string }

// CloseListener stops and forgets a listener, its routes and certificates
// with it; exchanges in flight finish.
type CloseListener struct{ Address string }

// PublishCertificates rebuilds an https listener's certificate index from
// the State (State.ServedCerts) and publishes it.
type PublishCertificates struct{ Address string }

// CreateCluster makes the runtime side of a new cluster, with no backend.
type CreateCluster struct{ Cluster order.Cluster }

// ClusterSettings publishes a cluster's new settings.
type ClusterSettings struct{ Cluster order.Cluster }

// CloseCluster stops a cluster's health check and forgets it; its routes
// and backends were removed by the effects before it.
type CloseCluster struct{ ID string }

// AddBackend adds a backend to its cluster's list.
type AddBackend struct{ Backend order.Backend }

// UpdateBackend gives a backend new settings without taking it out of
// its cluster's list (see order.UpdateBackend).
type UpdateBackend struct{ Backend order.Backend }

// RemoveBackend takes a backend out of its cluster: requests in flight
// finish, its idle connections close.
type RemoveBackend struct{ ClusterID, ID string }

// SetRoute adds or replaces, in one step, the route of an http or https
// frontend in its listener's routing table.
type SetRoute struct{ Frontend order.HTTPFrontend }

// RemoveRoute takes an http or https frontend's route out of its
// listener's routing table.
type RemoveRoute struct{ Frontend order.HTTPFrontend }

// SetTCPRoute sends a tcp listener's new connections with the server
// name Hostname (its default route when empty; see order.TCPFrontend) to
// ClusterID, or nowhere when ClusterID is empty.
type SetTCPRoute struct{ Address, Hostname, ClusterID string }

func (Bind) effect()                {}
func (CreateListener) effect()      {}
func (ListenerSettings) effect()    {}
func (Activate) effect()            {}
func (Deactivate) effect()          {}
func (CloseListener) effect()       {}
func (PublishCertificates) effect() {}
func (CreateCluster) effect()       {}
func (ClusterSettings) effect()     {}
func (CloseCluster) effect()        {}
func (AddBackend) effect()          {}
func (UpdateBackend) effect()       {}
func (RemoveBackend) effect()       {}
func (SetRoute) effect()            {}
func (RemoveRoute) effect()         {}
func (SetTCPRoute) effect()         {}

func (e Bind) String() string { return "bind " + e.Address }
func (e CreateListener) String() string {
	return fmt.Sprintf("create listener %s %s", e.Listener.Address, e.Listener.Protocol)
}
func (e ListenerSettings) String() string    { return "listener settings " + e.Listener.Address }
func (e Activate) String() string            { return "activate " + e.Address }
func (e Deactivate) String() string          { return "deactivate " + e.Address }
func (e CloseListener) String() string       { return "close listener " + e.Address }
func (e PublishCertificates) String() string { return "publish certificates " + e.Address }
func (e CreateCluster) String() string       { return "create cluster " + e.Cluster.ID }
func (e ClusterSettings) String() string     { return "cluster settings " + e.Cluster.ID }
func (e CloseCluster) String() string        { return "close cluster " + e.ID }
func (e AddBackend) String() string          { return "add backend " + backendString(e.Backend) }
func (e UpdateBackend) String() string       { return "update backend " + backendString(e.Backend) }
func (e RemoveBackend) String() string       { return "remove backend " + e.ClusterID + "/" + e.ID }
func (e SetRoute) String() string            { return "set route " + routeString(e.Frontend) }
func (e RemoveRoute) String() string         { return "remove route " + routeString(e.Frontend) }
func (e SetTCPRoute) String() string {
	s := "set tcp route " + e.Address
	if e.Hostname != "" {
		s += " " + e.Hostname
	}
	if e.ClusterID == "" {
		return s + " -> none"
	}
	return s + " -> " + e.ClusterID
}

func backendString(b order.Backend) string {
	s := fmt.Sprintf("%s/%s %s weight=%d", b.ClusterID, b.ID, b.Address, b.Weight)
	if b.Backup {
		s += " backup"
	}
	if b.StickyID != "" {
		s += " sticky_id=" + b.StickyID
	}
	return s
}

// routeString shows a frontend's key and target: address hostname
// path_type path method [position and conditions] -> cluster (or deny),
// then its rewrite settings and "acme" when it asks for a certificate.
func routeString(f order.HTTPFrontend) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %q", f.Address, f.Hostname, f.PathType, f.Path)
	if f.Method != "" {
		b.WriteString(" " + f.Method)
	}
	if k := Rule(f, struct{}{}).Key(); k.Position != 0 || k.Match != "" {
		if s := k.String(); strings.HasPrefix(s, k.Hostname) {
			// The key's own text after the path rule and method.
			m := k.Method
			if m == "" {
				m = "*"
			}
			_, rest, _ := strings.Cut(s, " "+m+" ")
			b.WriteString(" " + rest)
		}
	}
	switch {
	case f.Deny:
		b.WriteString(" -> deny")
	case f.ClusterID != "":
		b.WriteString(" -> " + f.ClusterID)
	}
	if r := f.Redirect; r != nil {
		fmt.Fprintf(&b, " redirect=%d", cmp.Or(r.Status, 301))
		if r.Scheme != "" {
			b.WriteString(" scheme=" + r.Scheme)
		}
		if r.Port != 0 {
			fmt.Fprintf(&b, " port=%d", r.Port)
		}
		if r.Location != "" {
			fmt.Fprintf(&b, " location=%q", r.Location)
		}
	}
	if f.RewriteHost != "" {
		fmt.Fprintf(&b, " rewrite_host=%q", f.RewriteHost)
	}
	if f.RewritePath != "" {
		fmt.Fprintf(&b, " rewrite_path=%q", f.RewritePath)
	}
	for _, e := range f.Headers {
		fmt.Fprintf(&b, " %s:%s:%s", e.Position, e.Action, e.Name)
		if e.Value != "" {
			fmt.Fprintf(&b, "=%q", e.Value)
		}
	}
	if f.ACME {
		b.WriteString(" acme")
	}
	return b.String()
}
