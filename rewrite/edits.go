package rewrite

import (
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/order"
)

// Edits are the compiled header edits of one frontend or cluster, for one
// direction (the request to the backend, or its response to the client).
// Applying them allocates nothing: a front's stage asks Drops of each
// field it would forward, then appends Add.
type Edits struct {
	drop []string // lowercase names of the deleted and set fields
	// Add are the fields appended (set and add edits), in order.
	Add []h1.Header
}

// CompileEdits returns the edits of es at position pos, or nil when there
// is none. es has passed order validation.
func CompileEdits(es []order.HeaderEdit, pos order.EditPosition) *Edits {
	var e Edits
	for _, he := range es {
		if he.Position != pos {
			continue
		}
		if he.Action != order.EditAdd {
			e.drop = append(e.drop, lower(he.Name))
		}
		if he.Action != order.EditDelete {
			name := []byte(he.Name)
			e.Add = append(e.Add, h1.Header{Name: name, Value: []byte(he.Value), Kind: h1.ClassifyHeader(name)})
		}
	}
	if len(e.drop) == 0 && len(e.Add) == 0 {
		return nil
	}
	return &e
}

// Drops reports whether a field named name is removed (a delete or set
// edit names it). A nil *Edits drops nothing.
func (e *Edits) Drops(name []byte) bool {
	if e == nil {
		return false
	}
	for _, d := range e.drop {
		if len(d) == len(name) && h1.EqualFold(name, d) {
			return true
		}
	}
	return false
}

// Fields returns the fields e adds (nil for a nil *Edits).
func (e *Edits) Fields() []h1.Header {
	if e == nil {
		return nil
	}
	return e.Add
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
