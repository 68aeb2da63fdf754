package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a configuration file.
type Error struct {
	// File is the configuration file, as given to Load.
	File string
	// Line and Column locate the problem: 1-based, Column counted in bytes.
	// Zero when unknown (Column alone may be unknown).
	Line, Column int
	// Msg says what is wrong; it starts with the TOML path of the key or
	// table at fault where there is one ("listeners[1].address: ...").
	Msg string
}

// Error formats e as "file:line:col: msg", "file:line: msg" or "file: msg",
// as far as the position is known.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Errors is several problems, sorted by position (problems without one
// first). Load returns it only when there are at least two.
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.As and errors.Is access to each problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// pos is a place in the configuration file: 1-based line and byte column.
// The zero pos means "unknown".
type pos struct{ line, col int }

// problems collects the errors found while loading one file.
type problems struct {
	file string
	list []*Error
}

// add records a problem at p; msg is formatted with args.
func (ps *problems) add(p pos, format string, args ...any) {
	ps.list = append(ps.list, &Error{File: ps.file, Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil, the only problem, or all of them sorted by position.
func (ps *problems) err() error {
	switch len(ps.list) {
	case 0:
		return nil
	case 1:
		return ps.list[0]
	}
	es := slices.Clone(ps.list)
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return Errors(es)
}
