// Package fieldset tells which fields of a value's struct types are never
// set anywhere in it, for the tests that keep every setting reachable:
// a configuration file, a saved state or a batch of orders that should
// set every field of every object is walked, and a field that no object
// sets is named. A field added to an order type then fails those tests
// until the file, the state or the orders reach it.
package fieldset

import (
	"reflect"
	"sort"
)

// Unset walks v (structs, pointers, slices, arrays and map values, to any
// depth) and returns the fields, as "Type.Field", that are the zero value
// (nil, empty) in every struct of that type it met, sorted. A struct type
// seen only through nil pointers or empty slices is not met: its fields
// are not named, the field holding it is. Only exported fields count.
// Structs of package time are values, not walked.
func Unset(v any) []string {
	set := map[string]bool{}
	walk(reflect.ValueOf(v), set)
	var out []string
	for name, ok := range set {
		if !ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// walk records, for every struct field under v, whether it is set.
func walk(v reflect.Value, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), set)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), set)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walk(it.Value(), set)
		}
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() == "time" {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			name := t.Name() + "." + f.Name
			if f.Anonymous && fv.Kind() == reflect.Struct {
				walk(fv, set) // an embedded struct's fields are its own type's
				continue
			}
			set[name] = set[name] || !isEmpty(fv)
			walk(fv, set)
		}
	}
}

// isEmpty reports a zero value, or a slice or map without elements.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return v.IsZero()
}
