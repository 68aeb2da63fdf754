package config

import (
	"math"
	"net/netip"

	"github.com/sluiceproxy/sluice/order"
)

// plan gathers the orders the file asks for, each with the table it came
// from, grouped by the stage at which it applies.
type plan struct {
	l *loader
	// listeners are the declared listeners by canonical address (first
	// declaration only), for frontends to find.
	listeners map[string]*declared

	adds, certs, clusters, frontends, backends, activate []step
}

// declared is a listener as frontends see it.
type declared struct {
	address  string // as written
	protocol order.Protocol
	at       pos // its address
}

// step is one order and where it came from.
type step struct {
	o   order.Order
	src *table
	// deps name the objects the order needs ("listener ADDR", "cluster
	// ID"); when adding one of them failed, the order is skipped, as its
	// own error would only repeat that one.
	deps []string
}

func listenerDep(addr string) string { return "listener " + addr }
func clusterDep(id string) string    { return "cluster " + id }

// canonical spells an ip:port address one way, so that "[::1]:80" and
// "[0::1]:80" are the same listener; other strings are kept as they are.
func canonical(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.String()
	}
	return addr
}

// certKeys are the keys of a certificate in a listener or frontend table.
var certKeys = []string{"certificate", "key", "certificate_chain", "names"}

// markRead marks the keys of t present among keys as read and returns the
// first of them, or "" when none is present.
func markRead(t *table, keys []string) string {
	first := ""
	for _, k := range keys {
		if t.has(k) {
			t.used[k] = true
			if first == "" {
				first = k
			}
		}
	}
	return first
}

// listener reads one [[listeners]] table.
func (b *plan) listener(t *table) {
	ln := order.Listener{
		Protocol:        order.Protocol(t.str("protocol")),
		Address:         t.str("address"),
		ExpectProxy:     t.boolean("expect_proxy"),
		StickyName:      t.str("sticky_name"),
		TLSVersions:     t.strings("tls_versions"),
		FrontTimeout:    order.Duration(t.duration("front_timeout")),
		BackTimeout:     order.Duration(t.duration("back_timeout")),
		ConnectTimeout:  order.Duration(t.duration("connect_timeout")),
		RequestTimeout:  order.Duration(t.duration("request_timeout")),
		TunnelTimeout:   order.Duration(t.duration("tunnel_timeout")),
		MaxHeadBytes:    t.integer("max_head_bytes", 1, 1<<20),
		MaxHeaderFields: t.integer("max_header_fields", 1, 10000),
		MaxBodyBytes:    int64(t.integer("max_body_bytes", 1, math.MaxInt64)),
		Answers:         b.l.answers(t),
	}
	// keepalive_timeout on a tcp listener is refused by the order.
	ln.KeepAliveTimeout = order.Duration(t.duration("keepalive_timeout"))
	listenerRoute(t, &ln)
	ln.MaxConnectionsPerIP = t.integer("max_connections_per_ip", 0, math.MaxInt32)
	ln.ListenerTLS = b.l.listenerTLS(t)
	switch ln.Protocol {
	case order.HTTPS:
		ln.Certificate, _ = b.l.certificate(t, false)
		ln.HSTS = hsts(t)
	case order.HTTP, order.TCP:
		if k := markRead(t, certKeys[:3]); k != "" {
			t.errKey(k, "only https listeners have a default certificate; this one is %s", ln.Protocol)
		}
	default: // refused with its protocol below; more would be noise
		markRead(t, certKeys[:3])
	}
	t.done()

	if ln.Address != "" {
		if b.listeners == nil {
			b.listeners = map[string]*declared{}
		}
		at := t.v.fields["address"].at
		key := canonical(ln.Address)
		if first, ok := b.listeners[key]; ok {
			t.errKey("address", "a listener on %s is already declared at line %d", ln.Address, first.at.line)
			return
		}
		b.listeners[key] = &declared{address: ln.Address, protocol: ln.Protocol, at: at}
		b.activate = append(b.activate, step{o: order.ActivateListener{Address: ln.Address}, src: t,
			deps: []string{listenerDep(ln.Address)}})
	}
	b.adds = append(b.adds, step{o: order.AddListener{Listener: ln}, src: t})
}
