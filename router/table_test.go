package router

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func mustAdd[T any](t testing.TB, tbl *Table[T], r Rule[T]) *Table[T] {
	t.Helper()
	n, err := tbl.Add(r)
	if err != nil {
		t.Fatalf("Add(%+v): %v", r, err)
	}
	return n
}

func lookup(tbl *Table[string], host, path, method string) string {
	v, ok := tbl.Lookup([]byte(host), []byte(path), []byte(method))
	if !ok {
		return "404"
	}
	return v
}

func TestEmptyTables(t *testing.T) {
	var zero Table[string]
	var nilT *Table[string]
	for name, tbl := range map[string]*Table[string]{"zero": &zero, "nil": nilT, "New": New[string]()} {
		if got := lookup(tbl, "example.com", "/", "GET"); got != "404" {
			t.Errorf("%s: Lookup = %q, want 404", name, got)
		}
		if tbl.Len() != 0 || tbl.Rules() != nil {
			t.Errorf("%s: Len = %d, Rules = %v; want 0, nil", name, tbl.Len(), tbl.Rules())
		}
		if got, ok := tbl.Remove(Key{Hostname: "example.com"}); ok || got != tbl {
			t.Errorf("%s: Remove on empty = %p, %v; want receiver, false", name, got, ok)
		}
		n := mustAdd(t, tbl, Rule[string]{Hostname: "example.com", Target: "x"})
		if got := lookup(n, "example.com", "/", "GET"); got != "x" || n.Len() != 1 {
			t.Errorf("%s: after Add: Lookup = %q, Len = %d", name, got, n.Len())
		}
	}
}

func TestImmutability(t *testing.T) {
	t1 := mustAdd(t, New[string](), Rule[string]{Hostname: "a.example.com", Path: "/", Target: "a1"})
	t1 = mustAdd(t, t1, Rule[string]{Hostname: "*.example.com", Path: "/", Target: "w1"})

	// Add a more specific rule, replace one, and add a new host: t1 must
	// keep its answers.
	t2 := mustAdd(t, t1, Rule[string]{Hostname: "a.example.com", Path: "/x", Target: "ax"})
	t3 := mustAdd(t, t2, Rule[string]{Hostname: "*.EXAMPLE.com", Path: "/", Target: "w2"})
	t4 := mustAdd(t, t3, Rule[string]{Hostname: "b.example.com", Path: "/", Target: "b"})
	want := []struct {
		tbl             *Table[string]
		host, path, res string
	}{
		{t1, "a.example.com", "/x", "a1"},
		{t1, "b.example.com", "/", "w1"},
		{t2, "a.example.com", "/x", "ax"},
		{t2, "b.example.com", "/", "w1"},
		{t3, "b.example.com", "/", "w2"},
		{t4, "b.example.com", "/", "b"},
		{t4, "c.example.com", "/", "w2"},
	}
	check := func(stage string) {
		for _, w := range want {
			if got := lookup(w.tbl, w.host, w.path, "GET"); got != w.res {
				t.Errorf("%s: Lookup(%s%s) = %q, want %q", stage, w.host, w.path, got, w.res)
			}
		}
	}
	check("after adds")
	if t1.Len() != 2 || t2.Len() != 3 || t3.Len() != 3 || t4.Len() != 4 {
		t.Errorf("Len = %d %d %d %d, want 2 3 3 4", t1.Len(), t2.Len(), t3.Len(), t4.Len())
	}

	t5, ok := t4.Remove(Key{Hostname: "a.example.com", PathType: PathPrefix, Path: "/x"})
	if !ok {
		t.Fatal("Remove of a present rule = false")
	}
	t6, ok := t5.Remove(Key{Hostname: "*.example.com", Path: "/"})
	if !ok {
		t.Fatal("Remove of a present wildcard = false")
	}
	check("after removes")
	if got := lookup(t5, "a.example.com", "/x", "GET"); got != "a1" {
		t.Errorf("t5: got %q, want a1", got)
	}
	if got := lookup(t6, "c.example.com", "/", "GET"); got != "404" {
		t.Errorf("t6: got %q, want 404", got)
	}
	if t5.Len() != 3 || t6.Len() != 2 {
		t.Errorf("Len = %d %d, want 3 2", t5.Len(), t6.Len())
	}
}

func TestAddErrorReturnsReceiver(t *testing.T) {
	t1 := mustAdd(t, New[string](), Rule[string]{Hostname: "h", Target: "x"})
	t2, err := t1.Add(Rule[string]{Hostname: "bad host", Target: "y"})
	if err == nil || t2 != t1 {
		t.Fatalf("Add(bad) = %p, %v; want receiver %p and an error", t2, err, t1)
	}
}

func TestRemove(t *testing.T) {
	tbl := New[string]()
	for _, r := range []Rule[string]{
		{Hostname: "h", PathType: PathPrefix, Path: "/p", Target: "prefix"},
		{Hostname: "h", PathType: PathEquals, Path: "/p", Target: "equals"},
		{Hostname: "h", PathType: PathRegex, Path: "/p", Method: "GET", Target: "regex"},
	} {
		tbl = mustAdd(t, tbl, r)
	}
	// Absent keys: every component must match.
	for _, k := range []Key{
		{Hostname: "h", PathType: PathPrefix, Path: "/q"},
		{Hostname: "h", PathType: PathPrefix, Path: "/p", Method: "GET"},
		{Hostname: "h", PathType: PathRegex, Path: "/p"},
		{Hostname: "g", PathType: PathPrefix, Path: "/p"},
		{Hostname: "*.h", PathType: PathPrefix, Path: "/p"},
		{Hostname: "*", PathType: PathPrefix, Path: "/p"},
		{Hostname: "h", PathType: PathType(9), Path: "/p"},
		{Hostname: "bad host", PathType: PathPrefix, Path: "/p"},
	} {
		if got, ok := tbl.Remove(k); ok || got != tbl {
			t.Errorf("Remove(%v) = %v; want receiver, false", k, ok)
		}
	}
	// A hand-built key with an unnormalised hostname still works.
	t2, ok := tbl.Remove(Key{Hostname: "H.", PathType: PathEquals, Path: "/p"})
	if !ok || t2.Len() != 2 {
		t.Fatalf("Remove(H. equals /p) = %v, Len %d; want true, 2", ok, t2.Len())
	}
	if got := lookup(t2, "h", "/p", "POST"); got != "prefix" {
		t.Errorf("after removing equals: got %q, want prefix", got)
	}
	if got := lookup(tbl, "h", "/p", "POST"); got != "equals" {
		t.Errorf("old table after remove: got %q, want equals", got)
	}
}

func TestRulesOrderAndKey(t *testing.T) {
	in := []Rule[string]{
		{Hostname: "b.example.com", Path: "/", Target: "1"},
		{Hostname: "*", Path: "", Target: "2"},
		{Hostname: "A.example.com.", PathType: PathRegex, Path: "/x", Target: "3"},
		{Hostname: "a.example.com", PathType: PathEquals, Path: "/x", Method: "GET", Target: "4"},
		{Hostname: "a.example.com", PathType: PathEquals, Path: "/x", Target: "5"},
		{Hostname: "*.example.com", Path: "/", Target: "6"},
		{Hostname: "[::1]", Path: "/", Target: "7"},
	}
	// Insertion order must not matter.
	var outs [][]Rule[string]
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1, 0}, {3, 0, 6, 1, 5, 2, 4}} {
		tbl := New[string]()
		for _, i := range order {
			tbl = mustAdd(t, tbl, in[i])
		}
		outs = append(outs, tbl.Rules())
	}
	var got []string
	for _, r := range outs[0] {
		got = append(got, r.Hostname+" "+r.PathType.String()+" "+r.Path+" "+r.Method+" "+r.Target)
	}
	want := []string{
		"* prefix   2",
		"*.example.com prefix /  6",
		"[::1] prefix /  7",
		"a.example.com equals /x  5",
		"a.example.com equals /x GET 4",
		"a.example.com regex /x  3",
		"b.example.com prefix /  1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Rules() =\n%q\nwant\n%q", got, want)
	}
	for i := 1; i < len(outs); i++ {
		if !reflect.DeepEqual(outs[0], outs[i]) {
			t.Errorf("Rules() depends on insertion order:\n%v\n%v", outs[0], outs[i])
		}
	}
	k := in[2].Key()
	if want := (Key{Hostname: "a.example.com", PathType: PathRegex, Path: "/x"}); k != want {
		t.Errorf("Key() = %+v, want %+v", k, want)
	}
	if s := k.String(); s != `a.example.com regex "/x" *` {
		t.Errorf("Key.String() = %q", s)
	}
}

// TestConcurrentPublish runs under -race: one writer publishes new tables
// through an atomic.Pointer while readers look up without locks.
func TestConcurrentPublish(t *testing.T) {
	var cur atomic.Pointer[Table[string]]
	base := mustAdd(t, New[string](), Rule[string]{Hostname: "stable.example.com", Path: "/", Target: "stable"})
	base = mustAdd(t, base, Rule[string]{Hostname: "*.dyn.example.com", Path: "/", Target: "wild"})
	cur.Store(base)

	const rounds = 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tbl := cur.Load()
				if v, ok := tbl.Lookup([]byte("stable.example.com"), []byte("/x"), []byte("GET")); !ok || v != "stable" {
					errs <- fmt.Errorf("reader %d: stable rule = %q, %v", g, v, ok)
					return
				}
				host := fmt.Sprintf("h%d.dyn.example.com", i%rounds)
				v, ok := tbl.Lookup([]byte(host), []byte("/"), nil)
				if !ok || (v != "wild" && v != host) {
					errs <- fmt.Errorf("reader %d: %s = %q, %v; want wild or %s", g, host, v, ok, host)
					return
				}
			}
		}(g)
	}
	for i := 0; i < rounds; i++ {
		host := fmt.Sprintf("h%d.dyn.example.com", i)
		tbl := mustAdd(t, cur.Load(), Rule[string]{Hostname: host, Path: "/", Target: host})
		cur.Store(tbl)
		if i%3 == 0 {
			tbl, ok := tbl.Remove(Key{Hostname: host, Path: "/"})
			if !ok {
				t.Fatalf("Remove(%s) = false", host)
			}
			cur.Store(tbl)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := cur.Load().Len(), 2+rounds-(rounds+2)/3; got != want {
		t.Errorf("final Len = %d, want %d", got, want)
	}
	if got := base.Len(); got != 2 {
		t.Errorf("base table Len changed to %d", got)
	}
}

func TestLookupAllocs(t *testing.T) {
	tbl := New[string]()
	for _, r := range []Rule[string]{
		{Hostname: "a.example.com", Path: "/", Target: "a"},
		{Hostname: "a.example.com", PathType: PathEquals, Path: "/eq", Method: "GET", Target: "eq"},
		{Hostname: "a.example.com", PathType: PathRegex, Path: "/item/[0-9]+(/.*)?", Target: "re"},
		{Hostname: "*.example.com", Path: "/w", Target: "w"},
		{Hostname: "[::1]", Path: "/", Target: "v6"},
		{Hostname: "*", Path: "/", Target: "any"},
	} {
		tbl = mustAdd(t, tbl, r)
	}
	cases := []struct{ host, path, method, want string }{
		{"A.Example.COM:8080", "/eq", "GET", "eq"},
		{"a.example.com", "/item/42/x", "GET", "re"},
		{"a.example.com", "/item/x", "GET", "a"},
		{"x.y.example.com.", "/w/1", "GET", "w"},
		{"[::1]:443", "/", "GET", "v6"},
		{"::1", "/", "GET", "v6"},
		{"nowhere.org", "/", "GET", "any"},
		{"nowhere.org", "x", "GET", "404"},
	}
	for _, c := range cases {
		h, p, m := []byte(c.host), []byte(c.path), []byte(c.method)
		if got := lookup(tbl, c.host, c.path, c.method); got != c.want {
			t.Fatalf("Lookup(%s %s) = %q, want %q", c.host, c.path, got, c.want)
		}
		if n := testing.AllocsPerRun(200, func() { tbl.Lookup(h, p, m) }); n != 0 {
			t.Errorf("Lookup(%s %s) allocates %v times per run, want 0", c.host, c.path, n)
		}
	}
}

// TestManyHosts exercises shard probing, growth and deletion with enough
// hostnames to put dozens in each shard.
func TestManyHosts(t *testing.T) {
	const n = 20000
	tbl := New[int]()
	for i := 0; i < n; i++ {
		tbl = mustAdd(t, tbl, Rule[int]{Hostname: fmt.Sprintf("h%d.example.com", i), Target: i})
		if i%10 == 0 {
			tbl = mustAdd(t, tbl, Rule[int]{Hostname: fmt.Sprintf("*.w%d.example.org", i), Target: -i})
		}
	}
	full := tbl
	for i := 0; i < n; i += 3 {
		var ok bool
		if tbl, ok = tbl.Remove(Key{Hostname: fmt.Sprintf("h%d.example.com", i)}); !ok {
			t.Fatalf("Remove(h%d) = false", i)
		}
	}
	removed := (n + 2) / 3
	if want := n + n/10 - removed; tbl.Len() != want || len(tbl.Rules()) != want {
		t.Fatalf("Len = %d, len(Rules) = %d, want %d", tbl.Len(), len(tbl.Rules()), want)
	}
	for i := 0; i < n; i++ {
		host := []byte(fmt.Sprintf("H%d.Example.com", i))
		v, ok := tbl.Lookup(host, []byte("/"), nil)
		if want := i%3 != 0; ok != want || (ok && v != i) {
			t.Fatalf("Lookup(%s) = %d, %v; want %d, %v", host, v, ok, i, want)
		}
		if v, ok := full.Lookup(host, []byte("/"), nil); !ok || v != i {
			t.Fatalf("full table: Lookup(%s) = %d, %v", host, v, ok)
		}
		if i%10 == 0 {
			w := []byte(fmt.Sprintf("a.b.w%d.example.org", i))
			if v, ok := tbl.Lookup(w, nil, nil); !ok || v != -i {
				t.Fatalf("Lookup(%s) = %d, %v; want %d", w, v, ok, -i)
			}
		}
	}
}
