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
	if _, key, ok = strings.Cut(fe.Field, "."); ok && t.has(key) {
		t.errKey(key, "%s", fe.Reason)
		return
	}
	if ok && nestedErr(t, key, fe.Reason) {
		return
	}
	if ok { // a key the table lacks ("address: missing")
		t.errTable("%s: %s", key, fe.Reason)
		return
	}
	t.errTable("%s", fe.Error())
}

// nestedErr places a problem at a key of a sub-table ("rate_limit.burst"),
// or at the sub-table itself when the key is absent there; false when
// not even the first table is in t.
func nestedErr(t *table, path, reason string) bool {
	v, at := t.v, t.path
	parts := strings.Split(path, ".")
	for i, k := range parts {
		f, ok := v.fields[k]
		if !ok || f.kind != kTable && i < len(parts)-1 {
			if i == 0 {
				return false
			}
			sub := &table{ps: t.ps, v: v, path: at, used: map[string]bool{}}
			sub.errTable("%s: %s", strings.Join(parts[i:], "."), reason)
			return true
		}
		if i == len(parts)-1 {
			sub := &table{ps: t.ps, v: v, path: at, used: map[string]bool{}}
			sub.errKey(k, "%s", reason)
			return true
		}
		v, at = f, joinPath(at, quoteKey(k))
	}
	return false
}

func joinPath(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}
