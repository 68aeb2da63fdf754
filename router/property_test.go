package router

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Pools of rule and request parts, small so that random rules overlap.
var (
	propHosts = []string{
		"a.example.com", "b.example.com", "example.com", "a.b.example.com",
		"*.example.com", "*.a.example.com", "*.b.example.com", "*.com",
		"*", "x.org", "[::1]", "/[a-z]+/.example.com", "/.*/.b.example.com",
	}
	propPaths = map[PathType][]string{
		PathPrefix: {"", "/", "/a", "/a/b", "/ab", "/b"},
		PathEquals: {"/", "/a", "/a/b", "/b"},
		PathRegex:  {"/a.*", "/[ab]+", "/a/b", ".*", "/(a|b)/.*", "/b?"},
	}
	propMethods = []string{"", "", "GET", "POST"}
	// Conditions: most rules have none.
	propHeaders = [][]Predicate{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		{{Name: "x-a", Type: MatchPresent}},
		{{Name: "x-a", Type: MatchExact, Value: "1"}},
		{{Name: "x-a", Type: MatchAbsent}},
		{{Name: "x-a", Type: MatchPresent}, {Name: "x-b", Type: MatchRegex, Value: "[0-9]+"}},
		{{Name: "x-b", Type: MatchPrefix, Value: "1"}},
	}
	propQueries = [][]Predicate{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		{{Name: "v", Type: MatchExact, Value: "2"}},
		{{Name: "v", Type: MatchAbsent}},
		{{Name: "debug", Type: MatchPresent}},
	}
	propReqFields  = [][][2]string{nil, {{"X-A", "1"}}, {{"x-a", "2"}, {"X-B", "12"}}, {{"X-B", "1x"}}}
	propReqQueries = []string{"", "v=2", "v=3&debug", "debug=1", "v=%32"}
	propReqHosts   = []string{"sub.a.example.com", "zz.example.com", "other.net", "", "com", "::1", "x.a.b.example.com"}
	propReqPaths   = []string{"", "/", "/a", "/a/", "/a/b", "/a/bc", "/ab", "/b", "/b/a", "/c", "/bb"}
	propReqMethods = []string{"GET", "POST", "PUT", ""}
)

func pick[E any](r *rand.Rand, s []E) E { return s[r.IntN(len(s))] }

// randomRequestHost returns a host from the pools, sometimes decorated with
// upper case, a port or a trailing dot.
func randomRequestHost(r *rand.Rand) string {
	h := pick(r, propHosts)
	if r.IntN(3) == 0 || strings.HasPrefix(h, "*") || strings.Contains(h, "/") {
		h = pick(r, propReqHosts)
	}
	if r.IntN(4) == 0 {
		h = strings.ToUpper(h)
	}
	if r.IntN(5) == 0 && !strings.Contains(h, ":") {
		h += "."
	}
	if r.IntN(4) == 0 {
		if strings.Count(h, ":") >= 2 && !strings.HasPrefix(h, "[") {
			h = "[" + h + "]"
		}
		h += ":8080"
	}
	return h
}

// TestAgainstReference applies random adds and removes and compares every
// table state with the reference matcher on random requests.
func TestAgainstReference(t *testing.T) {
	const seeds, opsPerSeed, queriesPerOp = 40, 30, 10
	checked, matched := 0, 0
	for seed := uint64(1); seed <= seeds; seed++ {
		rnd := rand.New(rand.NewPCG(seed, 42))
		tbl := New[string]()
		model := map[Key]Rule[string]{}
		for op := 0; op < opsPerSeed; op++ {
			if len(model) > 0 && rnd.IntN(5) == 0 {
				keys := slices.SortedFunc(maps.Keys(model), cmpKey)
				k := pick(rnd, keys)
				var ok bool
				if tbl, ok = tbl.Remove(k); !ok {
					t.Fatalf("seed %d: Remove(%v) = false", seed, k)
				}
				delete(model, k)
			} else {
				pt := PathType(rnd.IntN(3))
				r := Rule[string]{
					Hostname: pick(rnd, propHosts),
					PathType: pt,
					Path:     pick(rnd, propPaths[pt]),
					Method:   pick(rnd, propMethods),
					Position: Position(max(0, rnd.IntN(6)-3)), // mostly tree
					Headers:  pick(rnd, propHeaders),
					Query:    pick(rnd, propQueries),
				}
				r.Target = r.Key().String() + " #" + string(rune('a'+op%26))
				var err error
				if tbl, err = tbl.Add(r); err != nil {
					t.Fatalf("seed %d: Add(%+v): %v", seed, r, err)
				}
				model[r.Key()] = r
			}
			if tbl.Len() != len(model) {
				t.Fatalf("seed %d: Len() = %d, model %d", seed, tbl.Len(), len(model))
			}
			ref := newRef(slices.Collect(maps.Values(model)))
			for q := 0; q < queriesPerOp; q++ {
				c := routeCheck{req: refRequest{host: randomRequestHost(rnd), path: pick(rnd, propReqPaths),
					method: pick(rnd, propReqMethods), query: pick(rnd, propReqQueries), headers: pick(rnd, propReqFields)}}
				got, ok := c.lookup(tbl)
				want, wok := ref.match(c.req)
				if got != want || ok != wok {
					t.Fatalf("seed %d op %d: Match(%+v) = %q, %v; reference %q, %v\nrules: %v",
						seed, op, c.req, got, ok, want, wok, tbl.Rules())
				}
				checked++
				if ok {
					matched++
				}
			}
		}
		want := slices.SortedFunc(maps.Values(model), func(a, b Rule[string]) int {
			return cmpKey(a.Key(), b.Key())
		})
		if got := tbl.Rules(); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: Rules() = %v\nwant %v", seed, got, want)
		}
	}
	if checked < 10000 {
		t.Errorf("only %d lookups checked", checked)
	}
	// Guard against a generator that only produces misses (or only hits).
	if matched < checked/5 || matched > checked*9/10 {
		t.Errorf("%d of %d lookups matched; the generator is unbalanced", matched, checked)
	}
	t.Logf("%d lookups, %d matched", checked, matched)
}
