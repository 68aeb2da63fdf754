package rewrite

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	vars := &Vars{Host: []byte("a.shop.test"), Path: []byte("/api/v1/items"), Query: []byte("x=1"),
		HostCaps: []int{0, 11, 0, 1, -1, -1}, PathCaps: []int{0, 13, 5, 7, 8, 13}}
	cases := []struct {
		parse func(string) (*Template, error)
		src   string
		want  string // rendered, or the error's text
		err   bool
	}{
		{ParsePath, "/v2/$PATH[2]", "/v2/items", false},
		{ParsePath, "$PATH", "/api/v1/items", false},
		{ParsePath, "$PATH[0]", "/api/v1/items", false},
		{ParsePath, "/$HOST[1]$PATH", "/a/api/v1/items", false},
		{ParsePath, "/$HOST[2]/x", "//x", false}, // a group that took no part is empty
		{ParsePath, "/cost$$", "/cost$", false},
		{ParsePath, "/$QUERY", "$QUERY cannot be used in a path", true},
		{ParsePath, "/a?b", "a path cannot contain '?'", true},
		{ParsePath, "/a b", "a path cannot contain ' '", true},
		{ParsePath, "", "empty", true},
		{ParsePath, "/$FOO", "unknown variable", true},
		{ParsePath, "/$PATH[", "unclosed '['", true},
		{ParsePath, "/$PATH[x]", "a capture number is 0 to 99", true},
		{ParsePath, "/$PATH[100]", "a capture number is 0 to 99", true},
		{ParsePath, "/$PATH[01]", "a capture number is 0 to 99", true},
		{ParsePath, "/$PATH[-1]", "a capture number is 0 to 99", true},
		{ParsePath, "/x$", "unknown variable", true},
		{ParseHost, "$HOST[1].internal", "a.internal", false},
		{ParseHost, "backend-$HOST[1]", "backend-a", false},
		{ParseHost, "$PATH", "$PATH cannot be used in a host", true},
		{ParseHost, "a/b", "a host cannot contain '/'", true},
		{ParseHost, "a:80", "a host cannot contain ':'", true},
		{ParseLocation, "https://new.test$PATH?$QUERY", "https://new.test/api/v1/items?x=1", false},
		{ParseLocation, "https://$HOST[1].test/#top", "https://a.test/#top", false},
		{ParseLocation, "https://x.test/\r\n", "a location cannot contain '\\r'", true},
	}
	for _, c := range cases {
		tm, err := c.parse(c.src)
		switch {
		case c.err && err == nil:
			t.Errorf("%q: parsed, want error %q", c.src, c.want)
		case c.err && !strings.Contains(err.Error(), c.want):
			t.Errorf("%q: error %q, want %q", c.src, err, c.want)
		case !c.err && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case !c.err:
			if got := string(tm.Append(nil, vars)); got != c.want {
				t.Errorf("%q: rendered %q, want %q", c.src, got, c.want)
			}
			if n := testing.AllocsPerRun(100, func() { tm.Append(make([]byte, 0, 64)[:0], vars) }); n > 1 {
				t.Errorf("%q: rendering allocates", c.src)
			}
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("%q: error %T, want *ParseError", c.src, err)
		}
	}
}

// naiveRender is the template language done again with regular
// expressions over the source: the oracle of FuzzParse.
var naiveVar = regexp.MustCompile(`\$\$|\$(HOST|PATH)(\[(0|[1-9][0-9]?)\])?|\$QUERY`)

func naiveRender(src string, v *Vars) string {
	return naiveVar.ReplaceAllStringFunc(src, func(m string) string {
		if m == "$$" {
			return "$"
		}
		if m == "$QUERY" {
			return string(v.Query)
		}
		n := 0
		if i := strings.IndexByte(m, '['); i >= 0 {
			n, _ = strconv.Atoi(m[i+1 : len(m)-1])
		}
		if m[1] == 'H' {
			return string(capture(v.Host, v.HostCaps, n))
		}
		return string(capture(v.Path, v.PathCaps, n))
	})
}

// FuzzParse: a template either fails with a *ParseError at an offset
// inside it, or renders exactly what the naive renderer makes of its
// source, and its literal bytes obey its syntax.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/v2/$PATH[2]", "$HOST[1].internal", "https://$HOST$PATH?$QUERY", "$$$$", "/$PATH[99]",
		"$", "$HOST[", "$HOST[]", "/a$HOSTx", "$QUERY[1]", "\x00", "/é"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	v := &Vars{Host: []byte("a.b.test"), Path: []byte("/x/yy/zzz"), Query: []byte("q=1"),
		HostCaps: []int{0, 8, 0, 3, 2, 3}, PathCaps: []int{0, 9, 1, 2, -1, -1, 3, 5}}
	syntaxes := []syntax{hostSyntax, pathSyntax, locationSyntax}
	f.Fuzz(func(t *testing.T, src string, which uint8) {
		s := syntaxes[int(which)%len(syntaxes)]
		tm, err := parse(src, s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(src) {
				t.Fatalf("%q: %v", src, err)
			}
			return
		}
		if tm.String() != src {
			t.Fatalf("String() = %q, want %q", tm.String(), src)
		}
		got := string(tm.Append(nil, v))
		if want := naiveRender(src, v); got != want {
			t.Fatalf("%q rendered %q, naive %q", src, got, want)
		}
		for _, p := range tm.pieces {
			for _, c := range p.lit {
				if !s.litOK(c) {
					t.Fatalf("%q: literal byte %q accepted in %s", src, c, s.what)
				}
			}
		}
	})
}
