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
	line               int
	table              *Table[string]
	host, path, method string
	want               string // "" with !wantOK means 404
	wantOK             bool
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
			got, ok := c.table.Lookup([]byte(c.host), []byte(c.path), []byte(c.method))
			if ok != c.wantOK || got != c.want {
				t.Errorf("%s: line %d: snapshot changed: Lookup(%q, %q, %q) = %q, %v; want %q, %v",
					name, c.line, c.host, c.path, c.method, got, ok, c.want, c.wantOK)
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
		case w[0] == "add" && len(w) == 6:
			pt, err := ParsePathType(w[2])
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			r := Rule[string]{Hostname: field(w[1]), PathType: pt, Path: field(w[3]), Method: methodField(w[4]), Target: w[5]}
			tbl, err = tbl.Add(r)
			if err != nil {
				t.Fatalf("%s: line %d: Add: %v", name, ln, err)
			}
			model[r.Key()] = r
		case w[0] == "del" && len(w) == 5:
			pt, err := ParsePathType(w[2])
			if err != nil {
				t.Fatalf("line %d: %v", ln, err)
			}
			k := Rule[string]{Hostname: field(w[1]), PathType: pt, Path: field(w[3]), Method: methodField(w[4])}.Key()
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
		case len(w) == 5 && w[3] == "->":
			c := routeCheck{line: ln, table: tbl, host: field(w[0]), path: field(w[1]), method: methodField(w[2])}
			if w[4] != "404" {
				c.want, c.wantOK = w[4], true
			}
			got, ok := tbl.Lookup([]byte(c.host), []byte(c.path), []byte(c.method))
			if ok != c.wantOK || got != c.want {
				t.Errorf("%s: line %d: Lookup(%q, %q, %q) = %q, %v; want %q, %v",
					name, ln, c.host, c.path, c.method, got, ok, c.want, c.wantOK)
			}
			rules := make([]Rule[string], 0, len(model))
			for _, r := range model {
				rules = append(rules, r)
			}
			rgot, rok := newRef(rules).lookup(c.host, c.path, c.method)
			if rok != c.wantOK || rgot != c.want {
				t.Errorf("%s: line %d: reference(%q, %q, %q) = %q, %v; want %q, %v",
					name, ln, c.host, c.path, c.method, rgot, rok, c.want, c.wantOK)
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
