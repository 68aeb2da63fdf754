package state

import (
	"fmt"

	"github.com/sluiceproxy/sluice/order"
)

// BatchError is the refusal of a batch: the first order that did not
// apply, counted from 1, and why.
type BatchError struct {
	Index int // 1-based
	Kind  order.Kind
	Err   error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("order %d (%s): %v", e.Index, e.Kind, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// ApplyAll applies a batch of orders (a state file, a reload) all or
// nothing: each order is validated against the State the ones before it
// made, and the result is the final State with the effects of every order
// in sequence, or s itself, no effect and a *BatchError for the first
// order refused. Nothing runs before the whole batch is accepted, so an
// invalid answer template or certificate in the last order keeps the
// first from ever reaching the proxy.
func (s State) ApplyAll(orders []order.Order) (State, []Effect, error) {
	next := s
	var fx []Effect
	for i, o := range orders {
		n, e, err := next.Apply(o)
		if err != nil {
			kind := order.Kind("")
			if o != nil {
				kind = o.Kind()
			}
			return s, nil, &BatchError{Index: i + 1, Kind: kind, Err: err}
		}
		next, fx = n, append(fx, e...)
	}
	return next, fx, nil
}
