package router

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Pools of rule and request parts, small so that random rules overlap.
var (
	propHosts = []string{
		"a.example.com", "b.example.com", "example.com", "a.b.example.com",
		"*.example.com", "*.a.example.com", "*.b.example.com", "*.com",
		"*", "x.org", "[::1]",
	}
	propPaths = map[PathType][]string{
		PathPrefix: {"", "/", "/a", "/a/b", "/ab", "/b"},
		PathEquals: {"/", "/a", "/a/b", "/b"},
		PathRegex:  {"/a.*", "/[ab]+", "/a/b", ".*", "/(a|b)/.*", "/b?"},
	}
	propMethods    = []string{"", "", "GET", "POST"}
	propReqHosts   = []string{"sub.a.example.com", "zz.example.com", "other.net", "", "com", "::1", "x.a.b.example.com"}
	propReqPaths   = []string{"", "/", "/a", "/a/", "/a/b", "/a/bc", "/ab", "/b", "/b/a", "/c", "/bb"}
	propReqMethods = []string{"GET", "POST", "PUT", ""}
)

func pick[E any](r *rand.Rand, s []E) E { return s[r.IntN(len(s))] }

// randomRequestHost returns a host from the pools, sometimes decorated with
// upper case, a port or a trailing dot.
func randomRequestHost(r *rand.Rand) string {
	h := pick(r, propHosts)
	if r.IntN(3) == 0 || strings.HasPrefix(h, "*") {
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
				host, path, method := randomRequestHost(rnd), pick(rnd, propReqPaths), pick(rnd, propReqMethods)
				got, ok := tbl.Lookup([]byte(host), []byte(path), []byte(method))
				want, wok := ref.lookup(host, path, method)
				if got != want || ok != wok {
					t.Fatalf("seed %d op %d: Lookup(%q, %q, %q) = %q, %v; reference %q, %v\nrules: %v",
						seed, op, host, path, method, got, ok, want, wok, tbl.Rules())
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
		if got := tbl.Rules(); !slices.Equal(got, want) {
			t.Fatalf("seed %d: Rules() = %v\nwant %v", seed, got, want)
		}
	}
	if checked < 10000 {
		t.Errorf("only %d lookups checked", checked)
	}
	// Guard against a generator that only produces misses (or only hits).
	if matched < checked/4 || matched > checked*9/10 {
		t.Errorf("%d of %d lookups matched; the generator is unbalanced", matched, checked)
	}
	t.Logf("%d lookups, %d matched", checked, matched)
}
