package tcp

import (
	"maps"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
)

// Routes is a tcp listener's routing table, immutable once published: the
// default route and the server-name (SNI) routes. The zero Routes (and
// nil) routes nothing.
type Routes struct {
	// Default takes the connections no server-name route takes: unknown
	// names, ClientHellos without SNI, clients that do not speak TLS. Nil:
	// they are closed.
	Default *backend.Cluster
	exact   map[string]*backend.Cluster // by lowercase name
	wild    map[string]*backend.Cluster // "*.example.com" by "example.com"
}

// SNI reports whether r has server-name routes: only then do connections
// wait for the ClientHello before a backend is chosen.
func (r *Routes) SNI() bool { return r != nil && len(r.exact)+len(r.wild) > 0 }

// With returns a copy of r with the route for hostname (a normalised
// order.TCPFrontend hostname; "" is the default route) sent to c, or
// removed when c is nil. r is not changed.
func (r *Routes) With(hostname string, c *backend.Cluster) *Routes {
	n := &Routes{}
	if r != nil {
		*n = *r
	}
	if hostname == "" {
		n.Default = c
		return n
	}
	m, key := &n.exact, hostname
	if len(hostname) > 2 && hostname[:2] == "*." {
		m, key = &n.wild, hostname[2:]
	}
	*m = maps.Clone(*m)
	if c == nil {
		delete(*m, key)
		return n
	}
	if *m == nil {
		*m = map[string]*backend.Cluster{}
	}
	(*m)[key] = c
	return n
}

// Match returns the cluster for a server name as the client sent it
// (case-insensitive, one trailing dot ignored): an exact route, else the
// wildcard with the longest suffix, else nil (the caller falls back to
// Default). It allocates nothing.
func (r *Routes) Match(name []byte) *backend.Cluster {
	if r == nil {
		return nil
	}
	if n := len(name); n > 0 && name[n-1] == '.' {
		name = name[:n-1]
	}
	if len(name) == 0 || len(name) > order.MaxSNI {
		return nil
	}
	var buf [order.MaxSNI]byte
	low := buf[:len(name)]
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	if c, ok := r.exact[string(low)]; ok {
		return c
	}
	if len(r.wild) == 0 {
		return nil
	}
	for i, c := range low { // longest suffix first
		if c == '.' {
			if c, ok := r.wild[string(low[i+1:])]; ok {
				return c
			}
		}
	}
	return nil
}
