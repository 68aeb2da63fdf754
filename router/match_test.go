package router

import (
	"errors"
	"strings"
	"testing"
)

// condRules is a table with every kind of condition, a regex hostname and
// the three positions.
var condRules = []Rule[string]{
	{Hostname: "shop.test", Path: "/", Target: "shop"},
	{Hostname: "shop.test", Path: "/", Target: "v2", Headers: []Predicate{{Name: "X-Version", Type: MatchExact, Value: "2"}}},
	{Hostname: "shop.test", Path: "/", Target: "agent", Headers: []Predicate{{Name: "User-Agent", Type: MatchRegex, Value: "curl/.*"}}},
	{Hostname: "shop.test", Path: "/", Target: "q", Query: []Predicate{{Name: "beta", Type: MatchExact, Value: "on"}}},
	{Hostname: "shop.test", Path: "/", Target: "qre", Query: []Predicate{{Name: "id", Type: MatchRegex, Value: "[0-9]+"}}},
	{Hostname: "/api[0-9]+/.test", Path: "/", Target: "api"},
	{Hostname: "*", Path: "/", Target: "maint", Position: PositionPre,
		Headers: []Predicate{{Name: "X-Maintenance", Type: MatchPresent}}},
	{Hostname: "*", Path: "", Target: "fallback", Position: PositionPost},
}

type benchFields [][2][]byte

func (f benchFields) NumFields() int                   { return len(f) }
func (f benchFields) Field(i int) (name, value []byte) { return f[i][0], f[i][1] }

// TestMatchAllocs: conditions, regex hostnames and positions allocate
// nothing, except a regex condition on a percent-encoded query value.
func TestMatchAllocs(t *testing.T) {
	tbl := New[string]()
	for _, r := range condRules {
		tbl = mustAdd(t, tbl, r)
	}
	fields := benchFields{{[]byte("Accept"), []byte("*/*")}, {[]byte("x-version"), []byte("2")},
		{[]byte("User-Agent"), []byte("Mozilla")}}
	cases := []struct {
		host, path, query string
		fields            Fields
		want              string
		allocs            float64
	}{
		{"shop.test", "/", "", fields, "v2", 0},
		{"shop.test", "/", "", benchFields{{[]byte("user-agent"), []byte("curl/8")}}, "agent", 0},
		{"shop.test", "/", "a=1&beta=on", nil, "q", 0},
		{"shop.test", "/", "a=1&b%65ta=%6Fn", nil, "q", 0},
		{"shop.test", "/", "id=42", nil, "qre", 0},
		{"shop.test", "/", "id=%34%32", nil, "qre", 1},
		{"API7.test:80", "/x", "", nil, "api", 0},
		{"shop.test", "/", "", benchFields{{[]byte("X-Maintenance"), nil}}, "maint", 0},
		{"none.test", "", "", nil, "fallback", 0},
	}
	for _, c := range cases {
		r := &Request{Host: []byte(c.host), Path: []byte(c.path), Method: []byte("GET"), Query: []byte(c.query), Fields: c.fields}
		if got, _ := tbl.Match(r); got != c.want {
			t.Fatalf("Match(%s %s?%s) = %q, want %q", c.host, c.path, c.query, got, c.want)
		}
		if n := testing.AllocsPerRun(200, func() { tbl.Match(r) }); n != c.allocs {
			t.Errorf("Match(%s %s?%s) allocates %v times per run, want %v", c.host, c.path, c.query, n, c.allocs)
		}
	}
}

func TestConditionValidation(t *testing.T) {
	bad := []struct {
		r     Rule[string]
		field string
		in    string
	}{
		{Rule[string]{Headers: []Predicate{{Name: "", Type: MatchPresent}}}, "header", "empty name"},
		{Rule[string]{Headers: []Predicate{{Name: "X Y", Type: MatchPresent}}}, "header", "not a header field name"},
		{Rule[string]{Headers: []Predicate{{Name: "X", Type: MatchRegex, Value: "("}}}, "header", "bad regex"},
		{Rule[string]{Headers: []Predicate{{Name: "X", Type: MatchRegex}}}, "header", "empty regex"},
		{Rule[string]{Headers: []Predicate{{Name: "X", Type: MatchPrefix}}}, "header", "use \"present\""},
		{Rule[string]{Headers: []Predicate{{Name: "X", Type: 9}}}, "header", "unknown match type"},
		{Rule[string]{Headers: []Predicate{{Name: "X", Type: MatchExact, Value: "a\nb"}}}, "header", "control character"},
		{Rule[string]{Headers: []Predicate{{Name: "X", Type: MatchPresent}, {Name: "x", Type: MatchPresent}}}, "header", "the same condition twice"},
		{Rule[string]{Query: []Predicate{{Name: "a=b", Type: MatchPresent}}}, "query", "may not contain"},
		{Rule[string]{Query: []Predicate{{Name: "a", Type: MatchExact, Value: strings.Repeat("x", 1025)}}}, "query", "longer than 1024"},
		{Rule[string]{Position: 7}, "position", "unknown position"},
		{Rule[string]{Hostname: "/(/.test"}, "hostname", "bad regex label"},
		{Rule[string]{Hostname: "/api.test"}, "hostname", "no closing"},
		{Rule[string]{Hostname: "//.test"}, "hostname", "empty regex label"},
		{Rule[string]{Hostname: "/a/.*.test"}, "hostname", "'*' is only allowed"},
		{Rule[string]{Hostname: "/a/..test"}, "hostname", "empty label"},
	}
	for _, c := range bad {
		r := c.r
		if r.Hostname == "" {
			r.Hostname = "h.test"
		}
		err := ValidateRule(r)
		var re *RuleError
		if !errors.As(err, &re) || re.Field != c.field || !strings.Contains(err.Error(), c.in) {
			t.Errorf("ValidateRule(%+v) = %v; want a %s error with %q", c.r, err, c.field, c.in)
		}
	}
	// Conditions are normalised: sorted, header names lowercased.
	r := Rule[string]{Hostname: "h", Headers: []Predicate{{Name: "X-B", Type: MatchPresent}, {Name: "X-A", Type: MatchExact, Value: "v"}}}
	tbl := mustAdd(t, New[string](), r)
	got := tbl.Rules()[0].Headers
	if len(got) != 2 || got[0].Name != "x-a" || got[1].Name != "x-b" {
		t.Errorf("normalised conditions: %+v", got)
	}
	k := r.Key()
	if want := "h:\"x-a\" exact \"v\"\nh:\"x-b\" present\n"; k.Match != want {
		t.Errorf("Key().Match = %q, want %q", k.Match, want)
	}
	if s := k.String(); s != `h prefix "" * [h:"x-a" exact "v", h:"x-b" present]` {
		t.Errorf("Key.String() = %q", s)
	}
	if _, ok := tbl.Remove(k); !ok {
		t.Error("Remove by the rule's key failed")
	}
	// The same conditions in another order are the same rule.
	r2 := Rule[string]{Hostname: "H", Headers: []Predicate{r.Headers[1], r.Headers[0]}, Target: "again"}
	if tbl2 := mustAdd(t, tbl, r2); tbl2.Len() != 1 {
		t.Errorf("the same conditions in another order made a second rule")
	}
}

func TestHostPattern(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"example.com", ""},
		{"/api[0-9]+/.example.com", `^(?:api[0-9]+)\.example\.com$`},
		{"/a.b/.x./c/", `^(?:a.b)\.x\.(?:c)$`},
	} {
		re, err := HostPattern(c.in)
		if err != nil {
			t.Fatalf("HostPattern(%q): %v", c.in, err)
		}
		got := ""
		if re != nil {
			got = re.String()
		}
		if got != c.want {
			t.Errorf("HostPattern(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzMatch checks that Match never panics and agrees with the reference
// matcher on arbitrary hosts, paths, query strings and one header field.
func FuzzMatch(f *testing.F) {
	tbl := New[string]()
	for _, r := range condRules {
		var err error
		if tbl, err = tbl.Add(r); err != nil {
			f.Fatal(err)
		}
	}
	ref := newRef(condRules)
	for _, s := range [][5]string{
		{"shop.test", "/", "", "X-Version", "2"},
		{"shop.test", "/", "beta=on", "", ""},
		{"shop.test", "/", "b%65ta=o%6E&id=%", "x-maintenance", ""},
		{"api1.test", "/a", "id=1", "User-Agent", "curl/1"},
		{"\xff.test", "/\x00", "%%%", "\x00", "\xff"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, host, path, query, name, value string) {
		q := refRequest{host: host, path: path, method: "GET", query: query}
		if name != "" {
			q.headers = [][2]string{{name, value}}
		}
		got, ok := routeCheck{req: q}.lookup(tbl)
		want, wok := ref.match(q)
		if got != want || ok != wok {
			t.Fatalf("Match(%+v) = %q, %v; reference %q, %v", q, got, ok, want, wok)
		}
	})
}
