package backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// A backend's address may name its host ("shop-1.internal:3000"). The name
// is resolved when the backend is added (Env.Resolve; the proxy refuses
// the backend when it does not resolve) and again every
// Env.ResolveInterval by a goroutine of the backend's cluster, for as long
// as the backend is in it. New connections go to the latest addresses
// (tried in the resolver's order, the next on a failed connect, as
// net.Dialer does); when they change, the idle pooled connections (to the
// old ones) are closed, and connections in use finish where they are. A
// failed lookup keeps the addresses that were.

// Resolver looks up the IP addresses of a host name; *net.Resolver is one.
// Tests inject their own.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DefaultResolveInterval is how often backend host names are resolved
// again when Env.ResolveInterval is zero.
const DefaultResolveInterval = 30 * time.Second

// resolveTimeout bounds one lookup.
const resolveTimeout = 5 * time.Second

// Resolve returns the addresses (ip:port) to dial for addr (host:port):
// nil for an IP literal, which is dialled as it is; for a host name, one
// per address the resolver gives, in its order. It fails when the name
// has no address, within a few seconds at most.
func (e *Env) Resolve(ctx context.Context, addr string) ([]string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil || host == "" {
		return nil, nil
	}
	var r Resolver = net.DefaultResolver
	if e != nil && e.Resolver != nil {
		r = e.Resolver
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolving %s: no address", host)
	}
	p, _ := strconv.ParseUint(port, 10, 16)
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		ap := netip.AddrPortFrom(ip.Unmap(), uint16(p)).String()
		if !slices.Contains(out, ap) {
			out = append(out, ap)
		}
	}
	return out, nil
}

// SetResolved sets the addresses new connections to b go to (as Resolve
// gives them; nil: Addr itself). Call it before b is added to its cluster;
// the cluster keeps them current from then on.
func (b *Backend) SetResolved(addrs []string) {
	if len(addrs) == 0 {
		b.resolved.Store(nil)
		return
	}
	b.resolved.Store(&addrs)
}

// Resolved returns the addresses new connections to b go to, when its
// address names a host; nil otherwise. The slice must not be modified.
func (b *Backend) Resolved() []string {
	if p := b.resolved.Load(); p != nil {
		return *p
	}
	return nil
}

// dialAddrs returns the addresses to try, in order.
func (b *Backend) dialAddrs() []string {
	if p := b.resolved.Load(); p != nil {
		return *p
	}
	return b.one
}

// dialAny connects to the first of b's addresses that accepts, within d's
// timeout (shared among them as net.Dialer does: each attempt gets an equal
// part of what is left) and ctx.
func (b *Backend) dialAny(ctx context.Context, d *net.Dialer) (net.Conn, error) {
	addrs := b.dialAddrs()
	if len(addrs) == 1 {
		return d.DialContext(ctx, "tcp", addrs[0])
	}
	var deadline time.Time
	if d.Timeout > 0 {
		deadline = time.Now().Add(d.Timeout)
	}
	var first error
	for i, a := range addrs {
		one := *d
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			one.Timeout = left / time.Duration(len(addrs)-i)
		}
		c, err := one.DialContext(ctx, "tcp", a)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if first == nil {
		first = errors.New("dial: timed out")
	}
	return nil, first
}

// refreshAddrs resolves b's host name every interval until b is removed or
// the cluster closes (ctx), swapping in the new addresses when they change.
func (c *Cluster) refreshAddrs(ctx context.Context, b *Backend) {
	interval := c.env.ResolveInterval
	if interval <= 0 {
		interval = DefaultResolveInterval
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.gone.Done():
			return
		case <-t.C:
		}
		addrs, err := c.env.Resolve(ctx, b.Addr)
		switch {
		case ctx.Err() != nil || b.gone.Err() != nil:
			return
		case err != nil:
			if !failing {
				c.env.Log.Warn("backend address: resolving failed; new connections keep the last addresses",
					"cluster", c.ID, "backend", b.Config.ID, "address", b.Addr, "addresses", b.Resolved(), "error", err)
			}
			failing = true
		default:
			if failing {
				c.env.Log.Info("backend address: resolving works again", "cluster", c.ID, "backend", b.Config.ID,
					"address", b.Addr)
			}
			failing = false
			b.swapAddrs(c, addrs)
		}
		t.Reset(interval)
	}
}

// swapAddrs makes addrs b's addresses if they differ (as a set) from the
// current ones, and closes the idle connections to the old ones.
func (b *Backend) swapAddrs(c *Cluster, addrs []string) {
	old := b.Resolved()
	if len(old) == len(addrs) && !slices.ContainsFunc(addrs, func(a string) bool { return !slices.Contains(old, a) }) {
		return
	}
	b.SetResolved(addrs)
	c.env.Log.Info("backend address resolved anew: new connections go to the new addresses",
		"cluster", c.ID, "backend", b.Config.ID, "address", b.Addr, "from", old, "to", addrs)
	b.closePool()
	b.closeH2(false) // HTTP/2 ones: idle ones now, busy ones when their streams end
}
