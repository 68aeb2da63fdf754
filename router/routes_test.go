package router

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// routeCheck is one expectation of routes.txt, kept to re-check the table
// snapshot it was made on at the end of its case.
type routeCheck struct {
	line   int
	table  *Table[string]
	req    refRequest
	want   string // "" with !wantOK means 404
	wantOK bool
}

// lookup asks t for the check's request.
func (c routeCheck) lookup(t *Table[string]) (string, bool) {
	q := &c.req
	r := &Request{Host: []byte(q.host), Path: []byte(q.path), Method: []byte(q.method), Query: []byte(q.query)}
	if len(q.headers) > 0 {
		r.Fields = testFields(q.headers)
	}
	return t.Match(r)
}

// testFields are header fields for Match.
type testFields [][2]string

func (f testFields) NumFields() int                   { return len(f) }
func (f testFields) Field(i int) (name, value []byte) { return []byte(f[i][0]), []byte(f[i][1]) }

// ruleOptions applies the options of an add or del line:
// pos=pre|post, h=NAME:TYPE[:VALUE], q=NAME:TYPE[:VALUE].
func ruleOptions(t *testing.T, ln int, r *Rule[string], opts []string) {
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "pos":
			p, err := ParsePosition(v)
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			r.Position = p
		case "h", "q":
			parts := strings.SplitN(v, ":", 3)
			if len(parts) < 2 {
				t.Fatalf("line %d: want %s=NAME:TYPE[:VALUE]", ln, k)
			}
			mt, err := ParseMatchType(parts[1])
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			p := Predicate{Name: parts[0], Type: mt}
			if len(parts) == 3 {
				p.Value = parts[2]
			}
			if k == "h" {
				r.Headers = append(r.Headers, p)
			} else {
				r.Query = append(r.Query, p)
			}
		default:
			t.Fatalf("line %d: unknown option %q", ln, o)
		}
	}
}

// field decodes a routes.txt token: "" is the empty string.
func field(s string) string {
	if s == `""` {
		return ""
	}
	return s
}

// methodField decodes a METHOD token: - is "".
func methodField(s string) string {
	if s == "-" {
		return ""
	}
	return field(s)
}

func TestRoutes(t *testing.T) {
	f, err := os.Open("testdata/routes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var (
		name   string
		tbl    *Table[string]
		model  map[Key]Rule[string]
		checks []routeCheck
		cases  int
	)
	// finish re-checks every snapshot of the case: tables are immutable,
	// so later adds and removes must not have changed earlier answers.
	finish := func() {
		for _, c := range checks {
			got, ok := c.lookup(c.table)
			if ok != c.wantOK || got != c.want {
				t.Errorf("%s: line %d: snapshot changed: Match(%+v) = %q, %v; want %q, %v",
					name, c.line, c.req, got, ok, c.want, c.wantOK)
			}
		}
		checks = nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "==="); ok {
			finish()
			name, tbl, model = strings.TrimSpace(rest), New[string](), map[Key]Rule[string]{}
			cases++
			continue
		}
		if tbl == nil {
			t.Fatalf("line %d: rule or expectation before the first === case", ln)
		}
		w := strings.Fields(line)
		switch {
		case w[0] == "add" && len(w) >= 6:
			pt, err := ParsePathType(w[2])
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			r := Rule[string]{Hostname: field(w[1]), PathType: pt, Path: field(w[3]), Method: methodField(w[4]), Target: w[5]}
			ruleOptions(t, ln, &r, w[6:])
			tbl, err = tbl.Add(r)
			if err != nil {
				t.Fatalf("%s: line %d: Add: %v", name, ln, err)
			}
			model[r.Key()] = r
		case w[0] == "del" && len(w) >= 5:
			pt, err := ParsePathType(w[2])
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			r := Rule[string]{Hostname: field(w[1]), PathType: pt, Path: field(w[3]), Method: methodField(w[4])}
			ruleOptions(t, ln, &r, w[5:])
			k := r.Key()
			var ok bool
			if tbl, ok = tbl.Remove(k); !ok {
				t.Fatalf("%s: line %d: Remove(%v) = false", name, ln, k)
			}
			delete(model, k)
		case w[0] == "len" && len(w) == 2:
			n, _ := strconv.Atoi(w[1])
			if tbl.Len() != n {
				t.Errorf("%s: line %d: Len() = %d, want %d", name, ln, tbl.Len(), n)
			}
		case len(w) >= 5 && w[len(w)-2] == "->":
			c := routeCheck{line: ln, table: tbl, req: refRequest{host: field(w[0]), method: methodField(w[2])}}
			c.req.path, c.req.query, _ = strings.Cut(field(w[1]), "?")
			for _, h := range w[3 : len(w)-2] {
				hv, ok := strings.CutPrefix(h, "H=")
				name, value, ok2 := strings.Cut(hv, ":")
				if !ok || !ok2 {
					t.Fatalf("line %d: want H=NAME:VALUE, got %q", ln, h)
				}
				c.req.headers = append(c.req.headers, [2]string{name, value})
			}
			if w[len(w)-1] != "404" {
				c.want, c.wantOK = w[len(w)-1], true
			}
			got, ok := c.lookup(tbl)
			if ok != c.wantOK || got != c.want {
				t.Errorf("%s: line %d: Match(%+v) = %q, %v; want %q, %v",
					name, ln, c.req, got, ok, c.want, c.wantOK)
			}
			rules := make([]Rule[string], 0, len(model))
			for _, r := range model {
				rules = append(rules, r)
			}
			rgot, rok := newRef(rules).match(c.req)
			if rok != c.wantOK || rgot != c.want {
				t.Errorf("%s: line %d: reference(%+v) = %q, %v; want %q, %v",
					name, ln, c.req, rgot, rok, c.want, c.wantOK)
			}
			checks = append(checks, c)
		default:
			t.Fatalf("line %d: cannot parse %q", ln, line)
		}
		if tbl.Len() != len(model) {
			t.Fatalf("%s: line %d: Len() = %d, model has %d", name, ln, tbl.Len(), len(model))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	finish()
	if cases < 20 {
		t.Errorf("only %d cases read from routes.txt", cases)
	}
}
