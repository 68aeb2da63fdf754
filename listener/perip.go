package listener

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
)

// PerIP counts a listener's open connections per client IP and refuses
// those beyond a cap (max_connections_per_ip), so that one client cannot
// take every slot of max_connections. Its methods are safe for concurrent
// use: the counts are spread over shards, each a map under its own lock.
type PerIP struct {
	max     int32
	refused *atomic.Int64
	shards  [perIPShards]ipShard
}

const (
	perIPShardBits = 6
	perIPShards    = 1 << perIPShardBits
)

type ipShard struct {
	mu sync.Mutex
	n  map[netip.Addr]int32
	_  [64 - 16]byte // one shard per cache line
}

// NewPerIP returns a counter that admits at most max connections per IP
// (max > 0). refused, when not nil, counts the connections refused; it
// may be shared by several counters.
func NewPerIP(max int, refused *atomic.Int64) *PerIP {
	return &PerIP{max: int32(max), refused: refused}
}

// Max is the cap.
func (p *PerIP) Max() int { return int(p.max) }

// Acquire counts one more connection from ip and reports true, or reports
// false (and counts nothing but the refusal) when ip has max open already.
// Each true must be matched by exactly one Release.
func (p *PerIP) Acquire(ip netip.Addr) bool {
	sh := p.shard(ip)
	sh.mu.Lock()
	n := sh.n[ip]
	ok := n < p.max
	if ok {
		if sh.n == nil {
			sh.n = map[netip.Addr]int32{}
		}
		sh.n[ip] = n + 1
	}
	sh.mu.Unlock()
	if !ok && p.refused != nil {
		p.refused.Add(1)
	}
	return ok
}

// Release counts one connection from ip fewer.
func (p *PerIP) Release(ip netip.Addr) {
	sh := p.shard(ip)
	sh.mu.Lock()
	if n := sh.n[ip]; n > 1 {
		sh.n[ip] = n - 1
	} else {
		delete(sh.n, ip)
	}
	sh.mu.Unlock()
}

// Count is the number of connections counted for ip now.
func (p *PerIP) Count(ip netip.Addr) int {
	sh := p.shard(ip)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return int(sh.n[ip])
}

// shard picks ip's shard: the top bits of a multiplicative hash of its
// 16 bytes.
func (p *PerIP) shard(ip netip.Addr) *ipShard {
	b := ip.As16()
	h := (binary.LittleEndian.Uint64(b[:8]) ^ binary.LittleEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	return &p.shards[h>>(64-perIPShardBits)]
}
