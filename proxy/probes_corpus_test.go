package proxy_test

// The corpus of request-smuggling and desync probes: parsing of the data
// files under testdata/probes (their format is described in
// testdata/probes/README.md) and the HPACK encoding of HTTP/2 probes.

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"
)

// probe is one entry of the corpus.
type probe struct {
	File   string
	Line   int // line of its "# name:" directive
	Name   string
	Family string
	Why    []string

	// Expect is "refused", "forwarded" or "either"; Refuse holds the
	// statuses that count as a refusal (for refused and either).
	Expect string
	Refuse statusSet

	// HTTP/1.1: the bytes written on one fresh connection, and what the
	// client must read back.
	Raw            []byte
	ClientStatuses []statusSet // one set per expected response, in order
	ClientClosed   int         // 1 must be closed after the answers, 0 not checked

	// HTTP/2: the header fields (in order, sent as HPACK literals), the
	// DATA frames, and how they are framed.
	Fields    []h2Field
	Data      [][]byte
	Split     int                   // header block fragment size (HEADERS + CONTINUATION)
	StopAfter int                   // send only this many bytes of header block, never END_HEADERS
	EndStream string                // "headers", "data" or "none"
	Padding   int                   // pad length of every DATA frame
	Pauses    map[int]time.Duration // pause before DATA frame i (a slow client)
	Within    time.Duration

	// What the backends must have received (forwarded, or either when
	// forwarded). Requests < 0: not given.
	Requests  int
	Heads     []string
	Bodies    [][]byte
	HeaderIs  []headerCheck
	NoHeader  []string
	HasHeader []string
	Backend   string // label of the origin that must get the requests
	PartialOK bool   // a partial request may reach the backend if its connection is then closed
}

// h2Field is one header field of an HTTP/2 probe; Huffman sends its name
// and value Huffman-coded (RFC 7541 §5.2) instead of as plain strings.
type h2Field struct {
	Name, Value string
	Huffman     bool
}

// statusSet is a set of acceptable status codes, written 400|501.
type statusSet []int

func (s statusSet) has(code int) bool {
	for _, c := range s {
		if c == code {
			return true
		}
	}
	return false
}

func (s statusSet) String() string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, "|")
}

func parseStatusSet(s string) (statusSet, error) {
	var set statusSet
	for _, p := range strings.Split(s, "|") {
		c, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || c < 100 || c > 599 {
			return nil, fmt.Errorf("bad status %q", p)
		}
		set = append(set, c)
	}
	return set, nil
}

// headerCheck asks that every request carry the field Name exactly once,
// with one of Values (compared exactly).
type headerCheck struct {
	Name   string
	Values []string
}

// loadProbes reads a corpus file; proto is "h1" or "h2".
func loadProbes(path, proto string) ([]*probe, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out   []*probe
		cur   *probe
		names = map[string]int{}
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		p := cur
		cur = nil
		if err := p.validate(proto); err != nil {
			return fmt.Errorf("%s:%d: probe %s: %w", path, p.Line, p.Name, err)
		}
		if l, dup := names[p.Name]; dup {
			return fmt.Errorf("%s:%d: probe name %s already used on line %d", path, p.Line, p.Name, l)
		}
		names[p.Name] = p.Line
		out = append(out, p)
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", path, n, fmt.Sprintf(format, a...))
		}
		switch {
		case strings.TrimSpace(line) == "":
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		case strings.HasPrefix(line, "##"):
			continue
		}
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return nil, fail("trailing whitespace: write it as \\x20 or \\t")
		}
		if strings.HasPrefix(line, "# ") {
			key, val, ok := strings.Cut(line[2:], ":")
			if !ok {
				return nil, fail("a directive is '# key: value'")
			}
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			if key == "name" {
				if err := finish(); err != nil {
					return nil, err
				}
				cur = &probe{File: path, Line: n, Name: val, Requests: -1, Within: 5 * time.Second}
				continue
			}
			if cur == nil {
				return nil, fail("directive %q outside a probe (a probe starts with '# name:')", key)
			}
			if err := cur.directive(key, val); err != nil {
				return nil, fail("%s: %v", key, err)
			}
			continue
		}
		if cur == nil {
			return nil, fail("text outside a probe: %q", line)
		}
		switch {
		case proto == "h1" && (line == ">" || strings.HasPrefix(line, "> ")):
			b, err := unescape(strings.TrimPrefix(strings.TrimPrefix(line, ">"), " "))
			if err != nil {
				return nil, fail("%v", err)
			}
			cur.Raw = append(cur.Raw, b...)
		case proto == "h2" && (strings.HasPrefix(line, "header: ") || strings.HasPrefix(line, "header-huffman: ")):
			kind, rest, _ := strings.Cut(line, ": ")
			name, value, _ := strings.Cut(rest, " ")
			var nb []byte
			if name != `\e` { // \e alone is the empty name
				if nb, err = unescape(name); err != nil {
					return nil, fail("header name: %v", err)
				}
			}
			vb, err := unescape(value)
			if err != nil {
				return nil, fail("header value: %v", err)
			}
			cur.Fields = append(cur.Fields, h2Field{Name: string(nb), Value: string(vb), Huffman: kind == "header-huffman"})
		case proto == "h2" && strings.HasPrefix(line, "pause: "):
			d, err := time.ParseDuration(line[len("pause: "):])
			if err != nil || d <= 0 || d > 2*time.Second {
				return nil, fail("pause: want a duration up to 2s")
			}
			if cur.Pauses == nil {
				cur.Pauses = map[int]time.Duration{}
			}
			cur.Pauses[len(cur.Data)] += d
		case proto == "h2" && (line == "data:" || strings.HasPrefix(line, "data: ")):
			b, err := unescape(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			if err != nil {
				return nil, fail("data: %v", err)
			}
			cur.Data = append(cur.Data, b)
		default:
			return nil, fail("unknown line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return out, nil
}

func (p *probe) directive(key, val string) error {
	var err error
	atoi := func() int {
		var n int
		n, err = strconv.Atoi(val)
		return n
	}
	switch key {
	case "family":
		p.Family = val
	case "why":
		p.Why = append(p.Why, val)
	case "expect":
		kind, set, _ := strings.Cut(val, " ")
		switch kind {
		case "forwarded":
			if set != "" {
				return fmt.Errorf("forwarded takes no statuses")
			}
		case "refused", "either":
			if set == "" {
				set = "400"
			}
			p.Refuse, err = parseStatusSet(set)
		default:
			return fmt.Errorf("want refused, forwarded or either, got %q", kind)
		}
		p.Expect = kind
	case "client-statuses":
		for _, s := range strings.Fields(val) {
			set, err := parseStatusSet(s)
			if err != nil {
				return err
			}
			p.ClientStatuses = append(p.ClientStatuses, set)
		}
	case "client-closed":
		switch val {
		case "yes":
			p.ClientClosed = 1
		case "no":
			p.ClientClosed = 0
		default:
			return fmt.Errorf("yes or no")
		}
	case "backend-requests":
		p.Requests = atoi()
	case "backend-head":
		p.Heads = append(p.Heads, val)
	case "backend-body":
		var b []byte
		b, err = unescape(val)
		p.Bodies = append(p.Bodies, b)
	case "backend-header":
		name, vals, ok := strings.Cut(val, "=")
		if !ok {
			return fmt.Errorf("want name=value")
		}
		hc := headerCheck{Name: name}
		for _, v := range strings.Split(vals, "|") {
			b, err := unescape(v)
			if err != nil {
				return err
			}
			hc.Values = append(hc.Values, string(b))
		}
		p.HeaderIs = append(p.HeaderIs, hc)
	case "backend-no-header":
		p.NoHeader = append(p.NoHeader, val)
	case "backend-has-header":
		p.HasHeader = append(p.HasHeader, val)
	case "backend":
		p.Backend = val
	case "backend-partial":
		if val != "allowed" {
			return fmt.Errorf("only 'allowed'")
		}
		p.PartialOK = true
	case "split":
		p.Split = atoi()
	case "stop-after":
		p.StopAfter = atoi()
	case "end-stream":
		switch val {
		case "headers", "data", "none":
			p.EndStream = val
		default:
			return fmt.Errorf("headers, data or none")
		}
	case "data-padding":
		p.Padding = atoi()
	case "within":
		p.Within, err = time.ParseDuration(val)

	default:
		return fmt.Errorf("unknown directive")
	}
	return err
}

func (p *probe) validate(proto string) error {
	if p.Name == "" || strings.ContainsAny(p.Name, " /") {
		return fmt.Errorf("a name is one word without '/'")
	}
	if p.Family == "" {
		return fmt.Errorf("no family")
	}
	if p.Expect == "" {
		return fmt.Errorf("no expect")
	}
	if len(p.Why) == 0 {
		return fmt.Errorf("no why")
	}
	if p.Backend == "" {
		p.Backend = "shop"
	}
	if p.Requests < 0 && p.Expect != "refused" {
		p.Requests = max(1, len(p.Heads), len(p.Bodies))
	}
	switch proto {
	case "h1":
		if len(p.Raw) == 0 {
			return fmt.Errorf("no request bytes ('> ' lines)")
		}
		if p.ClientStatuses == nil {
			switch p.Expect {
			case "refused":
				p.ClientStatuses = []statusSet{p.Refuse}
			case "forwarded":
				for range p.Requests {
					p.ClientStatuses = append(p.ClientStatuses, statusSet{200})
				}
			case "either":
				p.ClientStatuses = []statusSet{append(statusSet{200}, p.Refuse...)}
			}
		}
		if p.Expect == "refused" {
			p.ClientClosed = 1
		}
	case "h2":
		if len(p.Fields) == 0 {
			return fmt.Errorf("no header fields")
		}
		if p.EndStream == "" {
			p.EndStream = "headers"
			if len(p.Data) > 0 {
				p.EndStream = "data"
			}
		}
		if p.EndStream == "data" && len(p.Data) == 0 {
			return fmt.Errorf("end-stream: data without data")
		}
		if _, ok := p.Pauses[len(p.Data)]; ok {
			return fmt.Errorf("a pause must come before a data line")
		}
	}
	return nil
}

// unescape turns the escapes of the corpus into bytes: \r \n \t \0 \\
// \xHH, and \R{N,text}, text (itself unescaped, and so possibly holding
// another \R{...}) repeated N times. A literal { or } only inside \R as \x7b
// and \x7d.
func unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("lone backslash at the end of %q", s)
		}
		i++
		switch s[i] {
		case 'r':
			out = append(out, '\r')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '0':
			out = append(out, 0)
		case '\\':
			out = append(out, '\\')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("short \\x escape in %q", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad \\x escape in %q", s)
			}
			out = append(out, byte(v))
			i += 2
		case 'R':
			end := matchingBrace(s[i:])
			if i+1 >= len(s) || s[i+1] != '{' || end < 0 {
				return nil, fmt.Errorf("want \\R{N,text} in %q", s)
			}
			ns, text, ok := strings.Cut(s[i+2:i+end], ",")
			n, err := strconv.Atoi(ns)
			if !ok || err != nil || n < 0 || n > 1<<20 {
				return nil, fmt.Errorf("bad \\R{N,text} in %q", s)
			}
			t, err := unescape(text)
			if err != nil {
				return nil, err
			}
			for range n {
				out = append(out, t...)
			}
			i += end
		default:
			return nil, fmt.Errorf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return out, nil
}

// matchingBrace returns the index in s (which starts with "R{") of the
// '}' closing its first '{', counting nested \R{...}.
func matchingBrace(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// hpackBlock encodes fields as HPACK literals without indexing and, unless
// a field asks for Huffman coding, with plain strings, so the block carries
// the bytes of the corpus exactly and leaves no state in the server's
// dynamic table.
func hpackBlock(fields []h2Field) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, 0x00) // literal header field without indexing, new name
		b = hpackString(b, f.Name, f.Huffman)
		b = hpackString(b, f.Value, f.Huffman)
	}
	return b
}

// hpackString appends a string literal with its 7-bit-prefix length and the
// H bit (RFC 7541 §5.1, §5.2).
func hpackString(b []byte, s string, huffman bool) []byte {
	n, h := len(s), byte(0)
	if huffman {
		n, h = int(hpack.HuffmanEncodeLength(s)), 0x80
	}
	if n < 127 {
		b = append(b, h|byte(n))
	} else {
		b = append(b, h|127)
		n -= 127
		for n >= 128 {
			b = append(b, byte(n%128)|0x80)
			n /= 128
		}
		b = append(b, byte(n))
	}
	if huffman {
		return hpack.AppendHuffmanString(b, s)
	}
	return append(b, s...)
}
