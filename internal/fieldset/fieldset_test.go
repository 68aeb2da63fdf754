package fieldset

import (
	"reflect"
	"testing"
	"time"
)

type inner struct {
	A int
	B []string
}

type Embedded struct{ E bool }

type outer struct {
	Embedded
	Name   string
	In     *inner
	Ins    []inner
	ByKey  map[string]*inner
	When   time.Time
	hidden int
	Never  *inner
}

// TestUnset: a field is named when no struct of its type sets it; an
// empty slice is unset; unexported fields and nil pointers' types are not
// named; an embedded struct's fields count under its own type.
func TestUnset(t *testing.T) {
	v := outer{
		Name:  "x",
		In:    &inner{A: 1},
		Ins:   []inner{{}, {B: []string{}}},
		ByKey: map[string]*inner{"k": {B: []string{"b"}}},
	}
	got := Unset(v)
	want := []string{"Embedded.E", "outer.Never", "outer.When"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unset = %q, want %q", got, want)
	}
	v.E, v.When, v.Never, v.hidden = true, time.Unix(1, 0), &inner{}, 1
	if got := Unset(&v); len(got) != 0 {
		t.Errorf("every field set: Unset = %q", got)
	}
}
