package cert

import (
	"strings"
)

// Index is an immutable set of the certificates of one https listener,
// indexed by name. The zero of *Index (nil) serves nothing. Its methods are
// safe for concurrent use and take no lock.
type Index struct {
	all   []*Cert          // sorted by fingerprint
	exact map[string]*Cert // name → the covering certificate that expires last
	wild  map[string]*Cert // "example.com" for "*.example.com" → likewise
	def   *Cert            // the listener's default certificate, or nil
}

// NewIndex indexes certs; def, when not nil, is served when no certificate
// covers the requested name (or none is given).
func NewIndex(certs []*Cert, def *Cert) *Index {
	ix := &Index{exact: map[string]*Cert{}, wild: map[string]*Cert{}, def: def}
	ix.all = append(ix.all, certs...)
	for _, c := range certs {
		for _, n := range c.Names {
			m, key := ix.exact, n
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				m, key = ix.wild, rest
			}
			if old := m[key]; old == nil || later(c, old) {
				m[key] = c
			}
		}
	}
	return ix
}

// later reports whether a is preferred to b for a name both cover: it
// expires later, or at the same time with a smaller fingerprint (so the
// choice does not depend on the order certificates were added in).
func later(a, b *Cert) bool {
	if !a.NotAfter.Equal(b.NotAfter) {
		return a.NotAfter.After(b.NotAfter)
	}
	return a.Fingerprint < b.Fingerprint
}

// Len is the number of certificates, the default one not counted.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.all)
}

// Default is the listener's default certificate, or nil.
func (ix *Index) Default() *Cert {
	if ix == nil {
		return nil
	}
	return ix.def
}

// Lookup returns the certificate to serve for a TLS server name (SNI): the
// one covering it exactly, else the one whose wildcard covers it (a
// wildcard covers exactly one label), else the default certificate, else
// nil. The name is matched case-insensitively, a trailing dot ignored.
func (ix *Index) Lookup(serverName string) *Cert {
	if ix == nil {
		return nil
	}
	if c := ix.find(normalize(serverName)); c != nil {
		return c
	}
	return ix.def
}

func (ix *Index) find(name string) *Cert {
	if name == "" {
		return nil
	}
	if c := ix.exact[name]; c != nil {
		return c
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return ix.wild[name[i+1:]]
	}
	return nil
}

// normalize lower-cases a name and strips a trailing dot, without
// allocating when it is already lower case.
func normalize(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// Covers reports whether c is valid for host (a request's Host or
// :authority, a port allowed): one of its names equals host, or is a
// wildcard covering it with exactly one label. Case and a trailing dot are
// ignored; IPv6 hosts may be bracketed.
func (c *Cert) Covers(host string) bool { return covers(c.Names, host) }

// CoversBytes is Covers for a host held in a byte slice; it does not
// allocate unless host has upper-case letters.
func (c *Cert) CoversBytes(host []byte) bool { return covers(c.Names, host) }

func covers[S string | []byte](names []string, host S) bool {
	h := stripPort(host)
	if len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	if len(h) == 0 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 'A' && c <= 'Z' {
			return covers(names, strings.ToLower(string(h)))
		}
	}
	dot := -1
	for i := 0; i < len(h); i++ {
		if h[i] == '.' {
			dot = i
			break
		}
	}
	for _, n := range names {
		if n == string(h) {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok && dot > 0 && rest == string(h[dot+1:]) {
			return true
		}
	}
	return false
}

// stripPort removes a ":port" from host and the brackets of an IPv6
// literal.
func stripPort[S string | []byte](host S) S {
	if len(host) > 0 && host[0] == '[' {
		for i := 1; i < len(host); i++ {
			if host[i] == ']' {
				return host[1:i]
			}
		}
		return host
	}
	colon := -1
	for i := 0; i < len(host); i++ {
		if host[i] == ':' {
			if colon >= 0 {
				return host // an IPv6 literal without brackets
			}
			colon = i
		}
	}
	if colon >= 0 {
		return host[:colon]
	}
	return host
}
