package config

import (
	"math"

	"github.com/sluiceproxy/sluice/order"
)

// hsts reads the optional hsts table of an https listener or a cluster:
// hsts = { max_age = 31536000, include_subdomains = true, preload = false }.
// max_age (seconds, 0 to 2147483647) is required; the two flags default to
// false; preload needs include_subdomains and a max_age of a year or more
// (checked with the order). Nil when the key is absent.
func hsts(t *table) *order.HSTS {
	s := t.sub("hsts")
	if s == nil {
		return nil
	}
	defer s.done()
	if !s.has("max_age") {
		s.errTable("max_age is missing: the policy's lifetime in seconds (31536000 is a year)")
		return nil
	}
	v := s.get("max_age", kInteger)
	if v == nil {
		return nil
	}
	if v.num < 0 || v.num > math.MaxInt32 {
		s.errKey("max_age", "%d is outside 0..%d seconds", v.num, math.MaxInt32)
		return nil
	}
	return &order.HSTS{MaxAge: v.num, IncludeSubDomains: s.boolean("include_subdomains"), Preload: s.boolean("preload")}
}
