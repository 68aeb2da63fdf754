// Package cookie reads and writes the one cookie the proxy owns, the
// sticky-session cookie: find it in a Cookie field, strip it from one, and
// set it. It works in place on byte slices and allocates nothing.
package cookie

// Value returns the value of the first cookie called name in a Cookie
// field's value v, or nil. A DQUOTE-wrapped value is unquoted.
func Value(v []byte, name string) []byte {
	for len(v) > 0 {
		var pair []byte
		pair, v = next(v)
		if n, val, ok := split(pair); ok && string(n) == name {
			return val
		}
	}
	return nil
}

// AppendWithout appends the cookie pairs of v other than those called
// name, "; "-separated, and reports whether it appended any.
func AppendWithout(out, v []byte, name string) ([]byte, bool) {
	any := false
	for len(v) > 0 {
		var pair []byte
		pair, v = next(v)
		if len(pair) == 0 {
			continue
		}
		if n, _, ok := split(pair); ok && string(n) == name {
			continue
		}
		if any {
			out = append(out, "; "...)
		}
		out = append(out, pair...)
		any = true
	}
	return out, any
}

// AppendSetCookie appends the value of the Set-Cookie field that pins a
// client to the backend whose sticky id is id: name=id; Path=/; HttpOnly.
func AppendSetCookie(out []byte, name, id string) []byte {
	out = append(out, name...)
	out = append(out, '=')
	out = append(out, id...)
	return append(out, "; Path=/; HttpOnly"...)
}

// next splits the first ';'-separated pair off v, trimmed of spaces.
func next(v []byte) (pair, rest []byte) {
	end := len(v)
	for i, c := range v {
		if c == ';' {
			end = i
			break
		}
	}
	pair = v[:end]
	if end < len(v) {
		rest = v[end+1:]
	}
	for len(pair) > 0 && (pair[0] == ' ' || pair[0] == '\t') {
		pair = pair[1:]
	}
	for len(pair) > 0 && (pair[len(pair)-1] == ' ' || pair[len(pair)-1] == '\t') {
		pair = pair[:len(pair)-1]
	}
	return pair, rest
}

// split splits name=value, unquoting a DQUOTE-wrapped value.
func split(pair []byte) (name, value []byte, ok bool) {
	for i, c := range pair {
		if c == '=' {
			name, value = pair[:i], pair[i+1:]
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			return name, value, true
		}
	}
	return nil, nil, false
}
