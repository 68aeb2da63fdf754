package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// kind is the type of a TOML value.
type kind int

const (
	kTable kind = iota
	kArray
	kString
	kInteger
	kFloat
	kBool
	kDatetime
)

// kindNames name the kinds in error messages.
var kindNames = [...]string{
	kTable: "a table", kArray: "an array", kString: "a string", kInteger: "an integer",
	kFloat: "a float", kBool: "a boolean", kDatetime: "a date-time",
}

func (k kind) String() string { return kindNames[k] }

// value is a TOML value with the positions it came from.
type value struct {
	kind kind
	// at is where the value starts; for a table, its header's last key or
	// its inline table's '{'; for an array, its first element or its key.
	at pos
	// keyAt is where the key naming the value is (zero for array items).
	keyAt pos

	str string // kString; the raw text for kFloat and kDatetime
	num int64  // kInteger
	b   bool   // kBool

	keys   []string          // kTable: keys in document order
	fields map[string]*value // kTable
	items  []*value          // kArray

	inline   bool // an inline table or a static array: closed to extension
	explicit bool // a table defined by its own [header]
}

func newTable(at pos) *value {
	return &value{kind: kTable, at: at, fields: map[string]*value{}}
}

func (t *value) set(key string, v *value) {
	t.keys = append(t.keys, key)
	t.fields[key] = v
}

// parseTree decodes a TOML document into a tree of positioned values.
//
// It runs two passes of go-toml: a full decode, whose errors (syntax,
// duplicate keys, redefined tables) carry a line and column; then the
// unstable parser, whose nodes give the position of every key and value,
// to build the tree. The second pass can therefore assume a valid document
// but still reports, rather than panics on, what it cannot place.
func parseTree(data []byte) (*value, *Error) {
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, &Error{Line: line, Column: col, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return nil, &Error{Msg: err.Error()}
	}
	b := &builder{lines: lineStarts(data)}
	b.p.Reset(data)
	root := newTable(pos{1, 1})
	cur := root
	for b.p.NextExpression() {
		var err *Error
		switch e := b.p.Expression(); e.Kind {
		case unstable.KeyValue:
			err = b.keyValue(cur, e)
		case unstable.Table:
			cur, err = b.table(root, e.Key(), false)
		case unstable.ArrayTable:
			cur, err = b.table(root, e.Key(), true)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := b.p.Error(); err != nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			return nil, b.errAt(b.at(b.p.Range(pe.Highlight)), "%s", pe.Message)
		}
		return nil, &Error{Msg: err.Error()}
	}
	return root, nil
}

// builder turns the unstable parser's expressions into a value tree.
type builder struct {
	p     unstable.Parser
	lines []int // offset of the start of each line
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// at converts a range of the input into the position of its first byte.
func (b *builder) at(r unstable.Range) pos {
	off := int(r.Offset)
	line := sort.Search(len(b.lines), func(i int) bool { return b.lines[i] > off })
	return pos{line, off - b.lines[line-1] + 1}
}

func (b *builder) errAt(p pos, format string, args ...any) *Error {
	return &Error{Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
}

// keyPart is one part of a dotted key.
type keyPart struct {
	name string
	at   pos
}

func (b *builder) key(it unstable.Iterator) []keyPart {
	var parts []keyPart
	for it.Next() {
		n := it.Node()
		parts = append(parts, keyPart{string(n.Data), b.at(n.Raw)})
	}
	return parts
}

// descend walks from t through the tables named by parts, creating the
// missing ones; through an array of tables it enters the last table.
func (b *builder) descend(t *value, parts []keyPart) (*value, *Error) {
	for _, k := range parts {
		v, ok := t.fields[k.name]
		switch {
		case !ok:
			v = newTable(k.at)
			v.keyAt = k.at
			t.set(k.name, v)
		case v.kind == kTable:
		case v.kind == kArray && !v.inline && len(v.items) > 0:
			v = v.items[len(v.items)-1]
		default:
			return nil, b.errAt(k.at, "key %q is already defined as %s", k.name, v.kind)
		}
		if v.inline {
			return nil, b.errAt(k.at, "inline table %q cannot be extended", k.name)
		}
		t = v
	}
	return t, nil
}

// keyValue adds "key = value" to t.
func (b *builder) keyValue(t *value, e *unstable.Node) *Error {
	parts := b.key(e.Key())
	if len(parts) == 0 {
		return b.errAt(pos{}, "empty key")
	}
	t, err := b.descend(t, parts[:len(parts)-1])
	if err != nil {
		return err
	}
	last := parts[len(parts)-1]
	if _, ok := t.fields[last.name]; ok {
		return b.errAt(last.at, "key %q is already defined", last.name)
	}
	v, err := b.value(e.Value(), last.at)
	if err != nil {
		return err
	}
	v.keyAt = last.at
	t.set(last.name, v)
	return nil
}

// table handles a [header] or, when array is set, an [[header]], and
// returns the table that the following key/values fill.
func (b *builder) table(root *value, it unstable.Iterator, array bool) (*value, *Error) {
	parts := b.key(it)
	if len(parts) == 0 {
		return nil, b.errAt(pos{}, "empty table name")
	}
	t, err := b.descend(root, parts[:len(parts)-1])
	if err != nil {
		return nil, err
	}
	last := parts[len(parts)-1]
	v, ok := t.fields[last.name]
	if array {
		if !ok {
			v = &value{kind: kArray, at: last.at, keyAt: last.at}
			t.set(last.name, v)
		} else if v.kind != kArray || v.inline {
			return nil, b.errAt(last.at, "key %q is already defined as %s", last.name, v.kind)
		}
		n := newTable(last.at)
		n.explicit = true
		v.items = append(v.items, n)
		return n, nil
	}
	switch {
	case !ok:
		v = newTable(last.at)
		v.keyAt = last.at
		t.set(last.name, v)
	case v.kind != kTable || v.inline || v.explicit:
		return nil, b.errAt(last.at, "table %q is already defined", last.name)
	default:
		v.at = last.at // a table made implicitly by a sub-table's header
	}
	v.explicit = true
	return v, nil
}

// value converts a value node; keyAt stands for arrays' position when they
// are empty.
func (b *builder) value(n *unstable.Node, keyAt pos) (*value, *Error) {
	v := &value{at: keyAt}
	if n.Raw.Length > 0 || n.Kind != unstable.Array {
		v.at = b.at(n.Raw)
	}
	switch n.Kind {
	case unstable.String:
		v.kind, v.str = kString, string(n.Data)
	case unstable.Bool:
		v.kind, v.b = kBool, string(n.Data) == "true"
	case unstable.Integer:
		i, err := strconv.ParseInt(string(n.Data), 0, 64)
		if err != nil {
			return nil, b.errAt(v.at, "invalid integer %s", n.Data)
		}
		v.kind, v.num = kInteger, i
	case unstable.Float:
		v.kind, v.str = kFloat, string(n.Data)
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		v.kind, v.str = kDatetime, string(n.Data)
	case unstable.Array:
		v.kind, v.inline = kArray, true
		it := n.Children()
		for it.Next() {
			item, err := b.value(it.Node(), keyAt)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		if len(v.items) > 0 {
			v.at = v.items[0].at
		}
	case unstable.InlineTable:
		v.kind, v.fields = kTable, map[string]*value{} // open while its own key/values are added
		it := n.Children()
		for it.Next() {
			if err := b.keyValue(v, it.Node()); err != nil {
				return nil, err
			}
		}
		v.inline = true
	default:
		return nil, b.errAt(v.at, "unsupported TOML value (%s)", n.Kind)
	}
	return v, nil
}
