package order

import (
	"bytes"
	"encoding/json"
)

// The weight of a backend: its share of the traffic relative to the other
// backends of its group (primary or backup). One bound everywhere: orders,
// the configuration file and the CLI check it with ValidateWeight and say
// the same thing. There is no weight that takes no traffic (HAProxy's
// weight 0): to drain a backend, remove it; its requests in flight finish.
const (
	MinWeight     = 1
	MaxWeight     = 1000
	DefaultWeight = 100
)

// ValidateWeight checks a weight that was given: MinWeight to MaxWeight.
// (Backend.Weight's zero value means "not given", that is DefaultWeight;
// an update_backend's weight, or a weight written in JSON or TOML, is
// always given.)
func ValidateWeight(field string, w int) error {
	if w < MinWeight || w > MaxWeight {
		return fieldErr(field, "%d is outside %d..%d", w, MinWeight, MaxWeight)
	}
	return nil
}

// UnmarshalJSON decodes an add_backend order, strictly (unknown fields are
// errors). A weight written as 0 is refused: JSON tells it apart from a
// weight left out (the default), and 0 would otherwise silently become
// 100.
func (o *AddBackend) UnmarshalJSON(b []byte) error {
	var given struct {
		Weight *int `json:"weight"`
	}
	if json.Unmarshal(b, &given) == nil && given.Weight != nil && *given.Weight == 0 {
		return fieldErr("backend.weight", "0 is outside %d..%d; leave weight out for the default, %d",
			MinWeight, MaxWeight, DefaultWeight)
	}
	type plain AddBackend // without this method
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(o))
}
