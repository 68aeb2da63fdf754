package config

import (
	"errors"
	"slices"
	"strings"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// validate applies the planned orders, stage by stage, to a fresh state,
// as the proxy will, and reports each refused one at the table it came
// from (at the key the refusal names, when the table has it). An order
// that needs a listener or cluster whose own order was refused is skipped
// without a report. It returns the orders that applied.
func (b *plan) validate() []order.Order {
	s := state.New()
	failed := map[string]bool{}
	var out []order.Order
	for _, stage := range [][]step{b.adds, b.certs, b.clusters, b.frontends, b.backends, b.activate} {
		for _, st := range stage {
			if slices.ContainsFunc(st.deps, func(d string) bool { return failed[d] }) {
				continue
			}
			next, _, err := s.Apply(st.o)
			if err != nil {
				report(st.src, err)
				switch o := st.o.(type) {
				case order.AddListener:
					failed[listenerDep(o.Address)] = true
				case order.AddCluster:
					failed[clusterDep(o.ID)] = true
				}
				continue
			}
			s = next
			out = append(out, st.o)
		}
	}
	return out
}

// report turns a refusal into a problem: an *order.FieldError whose field
// ("listener.address") ends in a key of the table is placed at that key's
// value; anything else at the table. Messages name the key, not the order
// field.
func report(t *table, err error) {
	var fe *order.FieldError
	if !errors.As(err, &fe) {
		t.errTable("%v", err)
		return
	}
	key, ok := "", false
	if _, key, ok = strings.Cut(fe.Field, "."); ok && !t.has(key) && t.has(strings.ReplaceAll(key, ".", "_")) {
		key = strings.ReplaceAll(key, ".", "_") // cluster.tls.ca is the key tls_ca
	}
	if ok && t.has(key) {
		t.errKey(key, "%s", fe.Reason)
		return
	}
	// A nested key ("rate_limit.burst", "match_headers[1].value"), or the innermost table it
	// would be in when it is missing.
	for k := key; ok && k != ""; {
		if v := t.find(k); v != nil {
			t.ps.add(v.at, "%s: %s", t.keyPath(key), fe.Reason)
			return
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	if ok { // a key the table lacks ("address: missing")
		t.errTable("%s: %s", key, fe.Reason)
		return
	}
	t.errTable("%s", fe.Error())
}
