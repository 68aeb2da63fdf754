package order

import (
	"bytes"
	"encoding/json"
)

// Opt is one field of an update order (patch semantics): absent, it leaves
// the setting as it is; present, it sets it to V.
//
// In JSON a key left out is absent and a key given is present, null
// included: null sets the zero value, which clears an optional setting
// (`"health_check": null` removes the check, `"answers": null` the custom
// answers). Fields of type Opt carry the omitzero tag, so an absent one is
// not written. In Go, Some(v) makes a present field; the zero Opt is
// absent.
type Opt[T any] struct {
	Set bool
	V   T
}

// Some returns a present field holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, V: v} }

// IsZero reports whether the field is absent (for the omitzero tag).
func (o Opt[T]) IsZero() bool { return !o.Set }

// Or returns the field's value when it is present, else old.
func (o Opt[T]) Or(old T) T {
	if o.Set {
		return o.V
	}
	return old
}

// MarshalJSON encodes the value (an absent field is left out by omitzero).
func (o Opt[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.V) }

// UnmarshalJSON marks the field present and decodes its value; null gives
// the zero value. Unknown fields in a nested object are errors, as
// everywhere in orders.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	var v T
	if !bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return err
		}
	}
	o.Set, o.V = true, v
	return nil
}
