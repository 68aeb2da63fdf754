package accesslog

import (
	"fmt"
	"strconv"
	"strings"
)

// textFields are the values of a Text line, unescaped, "-" kept as "".
type textFields struct {
	time, id, client, listener, cluster, backend string
	method, host, path                           string
	status, in, out, total, backend_, connect    string
	tls, sni, ua, trace, err                     string
}

// parseText splits a Text line as a consumer would: 18 fields separated
// by single spaces, two of them quoted; the request field splits in three.
func parseText(line string) (textFields, error) {
	var f textFields
	if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		return f, fmt.Errorf("not one line: %q", line)
	}
	line = strings.TrimSuffix(line, "\n")
	var raw []string
	for len(line) > 0 {
		var tok string
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"')
			if end < 0 {
				return f, fmt.Errorf("unterminated quote in %q", line)
			}
			tok, line = line[1:end+1], line[end+2:]
		} else if i := strings.IndexByte(line, ' '); i >= 0 {
			tok, line = line[:i], line[i:]
		} else {
			tok, line = line, ""
		}
		raw = append(raw, tok)
		if line == "" {
			break
		}
		if line[0] != ' ' {
			return f, fmt.Errorf("no space after field %d in %q", len(raw), line)
		}
		line = line[1:]
	}
	if len(raw) != 18 {
		return f, fmt.Errorf("%d fields, want 18: %q", len(raw), raw)
	}
	req := strings.Split(raw[6], " ")
	if len(req) != 3 {
		return f, fmt.Errorf("request field %q has %d parts, want 3", raw[6], len(req))
	}
	vals := append(append(raw[:6:6], req...), raw[7:]...)
	for i, v := range vals {
		u, err := unescape(v)
		if err != nil {
			return f, fmt.Errorf("field %d: %v", i, err)
		}
		vals[i] = u
	}
	f = textFields{vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7], vals[8],
		vals[9], vals[10], vals[11], vals[12], vals[13], vals[14], vals[15], vals[16], vals[17], vals[18], vals[19]}
	return f, nil
}

// unescape undoes \xHH and turns a lone "-" into "".
func unescape(s string) (string, error) {
	if s == "-" {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' {
			return "", fmt.Errorf("raw byte %#x in %q", c, s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+3 >= len(s) || s[i+1] != 'x' {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(n))
		i += 3
	}
	return b.String(), nil
}
