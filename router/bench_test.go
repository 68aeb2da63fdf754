package router

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchQueries is the number of distinct requests each lookup benchmark
// cycles through, the same for every table size.
const benchQueries = 4096

type benchReq struct{ host, path, method []byte }

// benchTable builds a table of n rules: n-n/100 exact hostnames (at least
// 8) and the rest wildcards (at least 2), each with one prefix rule, plus a
// regex rule on the first host. It returns the table and request sets that
// hit exact hosts, hit wildcards, and miss.
func benchTable(b *testing.B, n int) (tbl *Table[int], exact, wild, miss []benchReq) {
	nw := max(n/100, 2)
	ne := n - nw
	tbl = New[int]()
	var err error
	for i := 0; i < ne; i++ {
		if tbl, err = tbl.Add(Rule[int]{Hostname: fmt.Sprintf("host%d.site%d.example.com", i, i%97), Path: "/", Target: i}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < nw; i++ {
		if tbl, err = tbl.Add(Rule[int]{Hostname: fmt.Sprintf("*.zone%d.example.net", i), Path: "/", Target: -i}); err != nil {
			b.Fatal(err)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	get, path := []byte("GET"), []byte("/index.html")
	for q := 0; q < benchQueries; q++ {
		i := rnd.IntN(ne)
		exact = append(exact, benchReq{[]byte(fmt.Sprintf("Host%d.site%d.example.com:443", i, i%97)), path, get})
		j := rnd.IntN(nw)
		wild = append(wild, benchReq{[]byte(fmt.Sprintf("www.app.zone%d.example.net", j)), path, get})
		miss = append(miss, benchReq{[]byte(fmt.Sprintf("host%d.nowhere.example.org", q)), path, get})
	}
	return tbl, exact, wild, miss
}

// hot16 returns benchQueries requests cycling over the first 16 of reqs:
// a hot working set that stays in the CPU caches whatever the table size.
func hot16(reqs []benchReq) []benchReq {
	out := make([]benchReq, benchQueries)
	for i := range out {
		out[i] = reqs[i%16]
	}
	return out
}

// BenchmarkLookup measures Lookup on tables of 10 and 100 000 rules. Each
// sub-benchmark cycles through benchQueries requests: distinct random
// hosts (exact, wildcard, miss), or the same 16 hosts (exact-hot16).
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 100000} {
		tbl, exact, wild, miss := benchTable(b, n)
		for _, c := range []struct {
			name   string
			reqs   []benchReq
			wantOK bool
		}{{"exact", exact, true}, {"wildcard", wild, true}, {"miss", miss, false}, {"exact-hot16", hot16(exact), true}} {
			b.Run(fmt.Sprintf("rules=%d/%s", n, c.name), func(b *testing.B) {
				for _, r := range c.reqs[:16] {
					if _, ok := tbl.Lookup(r.host, r.path, r.method); ok != c.wantOK {
						b.Fatalf("Lookup(%s) ok = %v, want %v", r.host, ok, c.wantOK)
					}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					r := &c.reqs[i&(benchQueries-1)]
					tbl.Lookup(r.host, r.path, r.method)
					i++
				}
			})
		}
	}
}

// BenchmarkLookupScaling interleaves blocks of lookups on the 10-rule and
// the 100 000-rule tables and reports both per-lookup times and their
// ratio, which is robust against other load on the machine (both sides
// see the same conditions). Each block cycles through benchQueries
// distinct requests, a third each exact hits, wildcard hits and misses.
func BenchmarkLookupScaling(b *testing.B) {
	type side struct {
		tbl  *Table[int]
		reqs []benchReq
		dur  time.Duration
	}
	var sides [2]side
	for i, n := range []int{10, 100000} {
		tbl, exact, wild, miss := benchTable(b, n)
		var reqs []benchReq
		for q := 0; q < benchQueries; q++ {
			reqs = append(reqs, [][]benchReq{exact, wild, miss}[q%3][q])
		}
		sides[i] = side{tbl: tbl, reqs: reqs}
	}
	b.ReportAllocs()
	blocks := 0
	for b.Loop() {
		for i := range sides {
			s := &sides[i]
			start := time.Now()
			for j := range s.reqs {
				r := &s.reqs[j]
				s.tbl.Lookup(r.host, r.path, r.method)
			}
			s.dur += time.Since(start)
		}
		blocks++
	}
	small := float64(sides[0].dur.Nanoseconds()) / float64(blocks*benchQueries)
	big := float64(sides[1].dur.Nanoseconds()) / float64(blocks*benchQueries)
	b.ReportMetric(small, "ns/lookup-10")
	b.ReportMetric(big, "ns/lookup-100000")
	b.ReportMetric(big/small, "ratio")
}

// BenchmarkLookupRegex measures a hit on a regex rule (behind an equals
// and a prefix), showing that regexp matching on []byte does not allocate.
func BenchmarkLookupRegex(b *testing.B) {
	tbl := New[int]()
	for _, r := range []Rule[int]{
		{Hostname: "example.com", PathType: PathEquals, Path: "/", Target: 1},
		{Hostname: "example.com", PathType: PathRegex, Path: `/users/[0-9]+(/.*)?`, Target: 2},
		{Hostname: "example.com", PathType: PathRegex, Path: `/items/[a-z]+`, Target: 3},
		{Hostname: "example.com", Path: "/", Target: 4},
	} {
		var err error
		if tbl, err = tbl.Add(r); err != nil {
			b.Fatal(err)
		}
	}
	host, path, method := []byte("example.com"), []byte("/users/12345/profile"), []byte("GET")
	if v, _ := tbl.Lookup(host, path, method); v != 2 {
		b.Fatalf("Lookup = %d, want 2", v)
	}
	b.ReportAllocs()
	for b.Loop() {
		tbl.Lookup(host, path, method)
	}
}

// benchAdds applies n adds one by one from an empty table.
func benchAdds(b *testing.B, n int) {
	rules := make([]Rule[int], n)
	for i := range rules {
		rules[i] = Rule[int]{Hostname: fmt.Sprintf("host%d.example.com", i), Path: "/", Target: i}
	}
	b.ReportAllocs()
	var last time.Duration
	for b.Loop() {
		start := time.Now()
		tbl := New[int]()
		for _, r := range rules {
			tbl, _ = tbl.Add(r)
		}
		last = time.Since(start)
		if tbl.Len() != n {
			b.Fatalf("Len = %d, want %d", tbl.Len(), n)
		}
	}
	b.ReportMetric(float64(last.Nanoseconds())/float64(n), "ns/add")
}

// BenchmarkAdd10000 applies 10 000 adds one by one; ns/op is the time for
// all of them.
func BenchmarkAdd10000(b *testing.B) { benchAdds(b, 10000) }

// BenchmarkAdd100000 is the same with 100 000 adds.
func BenchmarkAdd100000(b *testing.B) { benchAdds(b, 100000) }

// BenchmarkRemove measures one Remove (and re-Add) on a 100 000-rule table.
func BenchmarkRemove(b *testing.B) {
	tbl, _, _, _ := benchTable(b, 100000)
	k := Key{Hostname: "host500.site15.example.com", Path: "/"}
	r := Rule[int]{Hostname: k.Hostname, Path: "/", Target: 500}
	b.ReportAllocs()
	for b.Loop() {
		t2, ok := tbl.Remove(k)
		if !ok {
			b.Fatal("Remove = false")
		}
		if _, err := t2.Add(r); err != nil {
			b.Fatal(err)
		}
	}
}
