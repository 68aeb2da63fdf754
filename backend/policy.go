package backend

import (
	"time"

	"github.com/sluiceproxy/sluice/guard"
	"github.com/sluiceproxy/sluice/order"
)

// Policy is a cluster's traffic policy as requests use it (policy-guard):
// the hashing key of maglev, the rate limit, the retry policy and the
// compression settings, defaults applied. Settings.Policy is nil when the
// cluster sets none of them, which is all a request checks then.
type Policy struct {
	// HashSource is the HashKey source, HashName its header (lower case)
	// or cookie name; HashSource is "" unless the cluster is maglev.
	HashSource string
	HashName   []byte
	// Limit is the cluster's rate limit, or nil.
	Limit *guard.Limiter
	// Retry is the retry policy, or nil; Budget its budget.
	Retry  *Retry
	Budget *guard.Budget
	// Compression is the compression policy, or nil.
	Compression *Compression
}

// Retry is a retry policy, defaults applied.
type Retry struct {
	Attempts int
	OnStatus [3]bool // 502, 503, 504
	Backoff  time.Duration
}

// RetriesStatus reports whether the policy retries a response of status.
func (r *Retry) RetriesStatus(status int) bool {
	return status >= 502 && status <= 504 && r.OnStatus[status-502]
}

// Compression is a compression policy, defaults applied.
type Compression struct {
	Algorithms []string
	Types      []string
	MinSize    int64
	GzipLevel  int
}

// DefaultCompressTypes are the media types compressed by default.
var DefaultCompressTypes = []string{"text/html", "text/plain", "text/css", "text/javascript", "text/xml",
	"application/javascript", "application/json", "application/xml", "image/svg+xml"}

// NewPolicy builds the policy of c, or nil when it has none. old are the
// cluster's settings before an update (nil for a new cluster): a rate
// limit or retry budget that stays the same keeps its state.
func NewPolicy(c *order.Cluster, old *Settings) *Policy {
	if c.LoadBalancing != order.Maglev && c.RateLimit == nil && c.Retry == nil && c.Compression == nil {
		return nil
	}
	var prev *Policy
	if old != nil {
		prev = old.Policy
	}
	p := &Policy{}
	if c.LoadBalancing == order.Maglev {
		p.HashSource = order.HashClientAddress
		if k := c.HashKey; k != nil && k.Source != "" {
			p.HashSource = k.Source
			p.HashName = []byte(k.Name)
			if k.Source == order.HashHeader {
				p.HashName = lower(k.Name)
			}
		}
	}
	if c.RateLimit != nil {
		if prev != nil && prev.Limit.Same(c.RateLimit) {
			p.Limit = prev.Limit
		} else {
			p.Limit = guard.NewLimiter(c.RateLimit)
		}
	}
	if r := c.Retry; r != nil {
		p.Retry = &Retry{Attempts: r.Attempts, Backoff: r.Backoff.D()}
		if p.Retry.Attempts == 0 {
			p.Retry.Attempts = 1
		}
		if r.Backoff == 0 {
			p.Retry.Backoff = order.DefaultRetryBackoff
		}
		for _, st := range r.OnStatus {
			p.Retry.OnStatus[st-502] = true
		}
		pct := r.BudgetPercent
		if pct == 0 {
			pct = order.DefaultRetryBudget
		}
		if prev != nil && prev.Budget != nil && old.Retry != nil && budgetOf(old.Retry) == pct {
			p.Budget = prev.Budget
		} else {
			p.Budget = guard.NewBudget(pct)
		}
	}
	if z := c.Compression; z != nil {
		p.Compression = &Compression{Algorithms: z.Algorithms, Types: z.Types, MinSize: z.MinSize, GzipLevel: z.GzipLevel}
		if len(z.Algorithms) == 0 {
			p.Compression.Algorithms = []string{order.Zstd, order.Brotli, order.Gzip}
		}
		if len(z.Types) == 0 {
			p.Compression.Types = DefaultCompressTypes
		}
		if z.MinSize == 0 {
			p.Compression.MinSize = 1024
		}
		if z.GzipLevel == 0 {
			p.Compression.GzipLevel = 5
		}
	}
	return p
}

func budgetOf(r *order.Retry) int {
	if r.BudgetPercent == 0 {
		return order.DefaultRetryBudget
	}
	return r.BudgetPercent
}

func lower(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}
