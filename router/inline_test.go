package router

import (
	"reflect"
	"strings"
	"testing"
)

// TestInlineLayout covers what hostRules keeps in itself: names longer
// and shorter than inlineName, a single rule kept in the value, and the
// moves between one and several rules (old tables keep answering as
// before, since values are never changed).
func TestInlineLayout(t *testing.T) {
	long := strings.Repeat("a", inlineName) + ".example.com" // over inlineName bytes
	short := "s.example.com"
	edge := strings.Repeat("b", inlineName-len(".example.com")) + ".example.com" // exactly inlineName
	if len(edge) != inlineName {
		t.Fatalf("edge name is %d bytes", len(edge))
	}
	var tbl *Table[string] = New[string]()
	for _, h := range []string{long, short, edge} {
		tbl = mustAdd(t, tbl, Rule[string]{Hostname: h, Path: "/", Target: h + "/"})
	}
	one := tbl
	for _, h := range []string{long, short, edge} {
		if got := lookup(tbl, h, "/x", "GET"); got != h+"/" {
			t.Fatalf("%s: got %q", h, got)
		}
		// A name that differs only past the inline bytes, or in length.
		if got := lookup(tbl, h+"x", "/x", "GET"); got != "404" {
			t.Fatalf("%sx: got %q, want 404", h, got)
		}
	}
	if got := lookup(tbl, long[:len(long)-1]+"n", "/", "GET"); got != "404" {
		t.Fatalf("last byte differs: got %q", got)
	}

	// A second and third rule for short, of other path types.
	two := mustAdd(t, one, Rule[string]{Hostname: short, PathType: PathEquals, Path: "/eq", Target: "eq"})
	three := mustAdd(t, two, Rule[string]{Hostname: short, Path: "/api", Method: "POST", Target: "api-post"})
	for _, c := range []struct {
		tbl                *Table[string]
		path, method, want string
	}{
		{one, "/eq", "GET", short + "/"},
		{two, "/eq", "GET", "eq"},
		{two, "/api", "POST", short + "/"},
		{three, "/api", "POST", "api-post"},
		{three, "/api", "GET", short + "/"},
		{three, "/eq", "GET", "eq"},
	} {
		if got := lookup(c.tbl, short, c.path, c.method); got != c.want {
			t.Fatalf("%s %s: got %q, want %q", c.method, c.path, got, c.want)
		}
	}

	// Back down to one rule (an equals rule), then none.
	back, ok := three.Remove(Key{Hostname: short, Path: "/"})
	if !ok {
		t.Fatal("remove / failed")
	}
	back, ok = back.Remove(Key{Hostname: short, Path: "/api", Method: "POST"})
	if !ok {
		t.Fatal("remove /api POST failed")
	}
	if got := lookup(back, short, "/eq", "GET"); got != "eq" {
		t.Fatalf("after removes: /eq got %q", got)
	}
	if got := lookup(back, short, "/", "GET"); got != "404" {
		t.Fatalf("after removes: / got %q, want 404", got)
	}
	hr := back.tree.exact.getString(short)
	if hr == nil || len(hr.equals) != 1 || &hr.equals[0] != &hr.one[0] {
		t.Fatalf("a single rule is not kept in its hostRules: %+v", hr)
	}
	if hr := three.tree.exact.getString(short); hr == nil || hr.len() != 3 || !reflect.DeepEqual(hr.one, [1]entry[string]{}) {
		t.Fatalf("a host with three rules keeps one in hr.one: %+v", hr)
	}
	none, ok := back.Remove(Key{Hostname: short, PathType: PathEquals, Path: "/eq"})
	if !ok || lookup(none, short, "/eq", "GET") != "404" {
		t.Fatal("remove of the last rule failed")
	}
	// The older tables answer as before.
	if got := lookup(three, short, "/api", "POST"); got != "api-post" {
		t.Fatalf("old table changed: got %q", got)
	}
	if got := lookup(one, short, "/eq", "GET"); got != short+"/" {
		t.Fatalf("old table changed: got %q", got)
	}
}
