package metrics

import (
	"reflect"
	"testing"
	"time"
)

// filled records what fill put in a set.
type filled struct {
	scalars []int64 // every counter and gauge value, in field order
	hists   []int64 // the observation count of every histogram
}

// fill gives every counter and gauge of set (a pointer to a Listener,
// Cluster or Backend) a distinct value base+1, base+2, ..., and observes
// 1ms into its i-th histogram i+1 times. A field of a type fill does not
// know fails the test, so a new field cannot escape the export tests.
func fill(t *testing.T, set any, base int64) filled {
	t.Helper()
	var f filled
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch p := v.Addr().Interface().(type) {
		case *Counter:
			base++
			p.Add(base)
			f.scalars = append(f.scalars, base)
		case *Gauge:
			base++
			p.Set(base)
			f.scalars = append(f.scalars, base)
		case *Histogram:
			n := int64(len(f.hists) + 1)
			for range n {
				p.Observe(time.Millisecond)
			}
			f.hists = append(f.hists, n)
		default:
			switch v.Kind() {
			case reflect.Struct:
				for i := range v.NumField() {
					walk(v.Field(i))
				}
			case reflect.Array:
				for i := range v.Len() {
					walk(v.Index(i))
				}
			default:
				t.Fatalf("fill: field of type %s", v.Type())
			}
		}
	}
	walk(reflect.ValueOf(set).Elem())
	return f
}
