package state

import (
	"errors"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/rewrite"
	"github.com/sluiceproxy/sluice/router"
)

// The routing and rewrite settings of frontends, clusters and listeners
// (issue 16): how they enter the routing rule, their normal form, and the
// checks that need the router, the rewrite compiler or the exchange's
// header table.

// predicates turns a frontend's conditions into the router's.
func predicates(ps []order.Predicate) []router.Predicate {
	if len(ps) == 0 {
		return nil
	}
	out := make([]router.Predicate, len(ps))
	for i, p := range ps {
		mt, err := router.ParseMatchType(string(p.Match))
		if err != nil {
			mt = router.MatchType(255) // refused by the router
		}
		out[i] = router.Predicate{Name: p.Name, Type: mt, Value: p.Value}
	}
	return out
}

// orderPredicates turns normalised router conditions back into a
// frontend's.
func orderPredicates(ps []router.Predicate) []order.Predicate {
	if len(ps) == 0 {
		return nil
	}
	out := make([]order.Predicate, len(ps))
	for i, p := range ps {
		out[i] = order.Predicate{Name: p.Name, Match: order.Match(p.Type.String()), Value: p.Value}
	}
	return out
}

// position turns a frontend's position into the router's.
func position(p order.Position) router.Position {
	rp, err := router.ParsePosition(string(p))
	if err != nil {
		return router.Position(255) // refused by the router
	}
	return rp
}

// normRoute gives a frontend's routing and rewrite settings their normal
// form: no "tree" position (the default), conditions in the router's
// order, nil for empty lists.
func normRoute(f order.HTTPFrontend) order.HTTPFrontend {
	if f.Position == order.Tree {
		f.Position = ""
	}
	if r := Rule(f, struct{}{}); len(r.Headers)+len(r.Query) > 0 {
		if rules := mustRules(r); rules != nil {
			f.MatchHeaders, f.MatchQuery = orderPredicates(rules.Headers), orderPredicates(rules.Query)
		}
	} else {
		f.MatchHeaders, f.MatchQuery = nil, nil
	}
	if len(f.Headers) == 0 {
		f.Headers = nil
	}
	return f
}

// mustRules returns r as a table stores it (conditions sorted), or nil
// when r is refused (the check reports it).
func mustRules(r router.Rule[struct{}]) *router.Rule[struct{}] {
	t, err := router.New[struct{}]().Add(r)
	if err != nil {
		return nil
	}
	return &t.Rules()[0]
}

// checkRewrites compiles a frontend's rewrite settings as the proxy will,
// and checks its header edits against the exchange's header table.
func checkRewrites(f order.HTTPFrontend) error {
	if _, err := rewrite.Compile(f); err != nil {
		var re *rewrite.Error
		if errors.As(err, &re) {
			return errf(re.Field, "%s", re.Err.Error())
		}
		return errf("frontend", "%s", err.Error())
	}
	return exchange.CheckEdits("frontend.headers", f.Headers)
}

// checkClusterRoute checks a cluster's header edits.
func checkClusterRoute(c order.Cluster) error {
	return exchange.CheckEdits("cluster.headers", c.Headers)
}

// checkListenerRoute checks a listener's request id field name.
func checkListenerRoute(l order.Listener) error {
	return exchange.CheckRequestIDName(l.RequestIDHeader)
}
