package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// table reads the keys of one TOML table, checking their types, and
// remembers which keys it read so that done can report the others as
// unknown.
type table struct {
	ps   *problems
	v    *value
	path string // TOML path of the table in messages: "", "listeners[1]", ...
	used map[string]bool
}

func newTableReader(ps *problems, v *value, path string) *table {
	return &table{ps: ps, v: v, path: path, used: map[string]bool{}}
}

// keyPath names key of this table in messages.
func (t *table) keyPath(key string) string {
	if t.path == "" {
		return key
	}
	return t.path + "." + key
}

// errKey reports a problem with the value of key.
func (t *table) errKey(key string, format string, args ...any) {
	at := t.v.at
	if v, ok := t.v.fields[key]; ok {
		at = v.at
	}
	t.ps.add(at, "%s: %s", t.keyPath(key), fmt.Sprintf(format, args...))
}

// errTable reports a problem with the table as a whole.
func (t *table) errTable(format string, args ...any) {
	where := t.path
	if where == "" {
		where = "top level"
	}
	t.ps.add(t.v.at, "%s: %s", where, fmt.Sprintf(format, args...))
}

// has reports whether key is present.
func (t *table) has(key string) bool {
	_, ok := t.v.fields[key]
	return ok
}

// get returns the value of key, marking it read, or nil when it is absent
// or, after reporting the problem, when it is not of kind want.
func (t *table) get(key string, want kind) *value {
	v, ok := t.v.fields[key]
	if !ok {
		return nil
	}
	t.used[key] = true
	if v.kind != want {
		t.errKey(key, "expected %s, found %s", want, v.kind)
		return nil
	}
	return v
}

// str returns the string at key, or "" when absent or not a string.
func (t *table) str(key string) string {
	if v := t.get(key, kString); v != nil {
		return v.str
	}
	return ""
}

// boolean returns the boolean at key, or false.
func (t *table) boolean(key string) bool {
	if v := t.get(key, kBool); v != nil {
		return v.b
	}
	return false
}

// integer returns the integer at key, which must lie in min..max; it
// returns 0 when the key is absent or wrong.
func (t *table) integer(key string, min, max int64) int {
	v := t.get(key, kInteger)
	if v == nil {
		return 0
	}
	if v.num < min || v.num > max {
		t.errKey(key, "%d is outside %d..%d", v.num, min, max)
		return 0
	}
	return int(v.num)
}

// maxDuration bounds durations: a day is more than any timeout needs.
const maxDuration = 24 * time.Hour

// duration returns the duration at key: a string such as "30s" or "1m30s"
// (time.ParseDuration), or an integer number of seconds. It must be
// positive and at most a day. It returns 0 when the key is absent or wrong.
func (t *table) duration(key string) time.Duration {
	v, ok := t.v.fields[key]
	if !ok {
		return 0
	}
	t.used[key] = true
	var d time.Duration
	switch v.kind {
	case kString:
		var err error
		if d, err = time.ParseDuration(v.str); err != nil {
			t.errKey(key, "%q is not a duration (write it like \"30s\", \"1m30s\" or \"500ms\")", v.str)
			return 0
		}
	case kInteger:
		if v.num <= 0 || v.num > int64(maxDuration/time.Second) {
			t.errKey(key, "%d seconds is not a positive duration of at most a day (omit the key for the default)", v.num)
			return 0
		}
		d = time.Duration(v.num) * time.Second
	default:
		t.errKey(key, "expected a duration string like \"30s\" or whole seconds, found %s", v.kind)
		return 0
	}
	if d <= 0 || d > maxDuration {
		t.errKey(key, "%s is not a positive duration of at most a day (omit the key for the default)", d)
		return 0
	}
	return d
}

// strings returns the array of strings at key, or nil.
func (t *table) strings(key string) []string {
	v := t.get(key, kArray)
	if v == nil {
		return nil
	}
	out := make([]string, 0, len(v.items))
	for i, it := range v.items {
		if it.kind != kString {
			t.ps.add(it.at, "%s[%d]: expected a string, found %s", t.keyPath(key), i, it.kind)
			return nil
		}
		out = append(out, it.str)
	}
	return out
}

// tables returns the array of tables at key (inline tables or [[headers]]),
// with the TOML path of each; it reports items that are not tables.
func (t *table) tables(key string) ([]*value, []string) {
	v := t.get(key, kArray)
	if v == nil {
		return nil, nil
	}
	var items []*value
	var paths []string
	for i, it := range v.items {
		p := fmt.Sprintf("%s[%d]", t.keyPath(key), i)
		if it.kind != kTable {
			t.ps.add(it.at, "%s: expected a table, found %s", p, it.kind)
			continue
		}
		items = append(items, it)
		paths = append(paths, p)
	}
	return items, paths
}

// sub returns a reader of the table at key, or nil.
func (t *table) sub(key string) *table {
	if v := t.get(key, kTable); v != nil {
		return newTableReader(t.ps, v, t.keyPath(quoteKey(key)))
	}
	return nil
}

// done reports every key that was not read as unknown, at the key.
func (t *table) done() {
	for _, k := range t.v.keys {
		if !t.used[k] {
			where := "in " + t.path
			if t.path == "" {
				where = "at the top level"
			}
			t.ps.add(t.v.fields[k].keyAt, "unknown key %q %s", k, where)
		}
	}
}

// quoteKey writes a key as TOML would need it in a path.
func quoteKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return strconv.Quote(k)
		}
	}
	return k
}

// joinQuoted lists words as "a", "b" or "c".
func joinQuoted(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
