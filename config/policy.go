package config

import (
	"math"

	"github.com/sluiceproxy/sluice/order"
)

// The traffic policy tables (policy-guard): a cluster's hash_key,
// rate_limit, retry and compression, a frontend's basic_auth and
// rate_limit, a health check's fail_open. The readers check types; the
// orders' validation checks values, and report places its errors at the
// nested key they name.

// hashKey reads a hash_key table, or returns nil.
func hashKey(t *table) *order.HashKey {
	s := t.sub("hash_key")
	if s == nil {
		return nil
	}
	defer s.done()
	return &order.HashKey{Source: s.str("source"), Name: s.str("name")}
}

// rateLimit reads a rate_limit table, or returns nil.
func rateLimit(t *table) *order.RateLimit {
	s := t.sub("rate_limit")
	if s == nil {
		return nil
	}
	defer s.done()
	return &order.RateLimit{
		Rate:    s.integer("rate", math.MinInt32, math.MaxInt32),
		Period:  order.Duration(s.duration("period")),
		Burst:   s.integer("burst", math.MinInt32, math.MaxInt32),
		Key:     s.str("key"),
		Header:  s.str("header"),
		MaxKeys: s.integer("max_keys", math.MinInt32, math.MaxInt32),
	}
}

// retry reads a retry table, or returns nil.
func retry(t *table) *order.Retry {
	s := t.sub("retry")
	if s == nil {
		return nil
	}
	defer s.done()
	return &order.Retry{
		Attempts:      s.integer("attempts", math.MinInt32, math.MaxInt32),
		OnStatus:      s.integers("on_status"),
		BudgetPercent: s.integer("budget_percent", math.MinInt32, math.MaxInt32),
		Backoff:       order.Duration(s.duration("backoff")),
	}
}

// compression reads a compression table, or returns nil.
func compression(t *table) *order.Compression {
	s := t.sub("compression")
	if s == nil {
		return nil
	}
	defer s.done()
	return &order.Compression{
		Algorithms: s.strings("algorithms"),
		Types:      s.strings("types"),
		MinSize:    int64(s.integer("min_size", math.MinInt32, math.MaxInt32)),
		GzipLevel:  s.integer("gzip_level", math.MinInt32, math.MaxInt32),
	}
}

// basicAuth reads a basic_auth table, or returns nil.
func basicAuth(t *table) *order.BasicAuth {
	s := t.sub("basic_auth")
	if s == nil {
		return nil
	}
	defer s.done()
	a := &order.BasicAuth{Realm: s.str("realm"), ForwardAuthorization: s.boolean("forward_authorization")}
	if u := s.sub("users"); u != nil {
		a.Users = map[string]string{}
		for _, name := range u.v.keys {
			a.Users[name] = u.str(name)
		}
		u.done()
	}
	return a
}

// integers returns the array of integers at key, or nil.
func (t *table) integers(key string) []int {
	v := t.get(key, kArray)
	if v == nil {
		return nil
	}
	out := make([]int, 0, len(v.items))
	for i, it := range v.items {
		if it.kind != kInteger || it.num < math.MinInt32 || it.num > math.MaxInt32 {
			t.ps.add(it.at, "%s[%d]: expected an integer, found %s", t.keyPath(key), i, it.kind)
			return nil
		}
		out = append(out, int(it.num))
	}
	return out
}
