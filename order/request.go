package order

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// Request is one order with the caller's id. The id is echoed in every
// response to the request; the proxy does not require ids to be unique, but
// callers that match responses by id (see proxy.Client.Do) do.
type Request struct {
	ID    string `json:"id"`
	Order Order  `json:"-"`
}

// ResponseStatus is the outcome of a request.
type ResponseStatus string

// The statuses of a response.
const (
	StatusOK         ResponseStatus = "ok"
	StatusError      ResponseStatus = "error"
	StatusProcessing ResponseStatus = "processing"
)

// Response answers a request. Content is set by queries.
type Response struct {
	ID      string         `json:"id"`
	Status  ResponseStatus `json:"status"`
	Message string         `json:"message,omitempty"`
	// Code classifies an error answer (see ErrorCode); set by the proxy on
	// the errors it answers, empty on others.
	Code    ErrorCode `json:"code,omitempty"`
	Content *Content  `json:"content,omitempty"`
}

// Final reports whether no further response to the same request follows.
func (r Response) Final() bool { return r.Status != StatusProcessing }

var kindTypes = map[Kind]reflect.Type{}

func register(o Order) {
	t := reflect.TypeOf(o).Elem()
	kindTypes[o.Kind()] = t
}

// Kinds lists every order kind, sorted.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(kindTypes))
	for k := range kindTypes {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

type wireRequest struct {
	ID    string          `json:"id"`
	Kind  Kind            `json:"kind"`
	Order json.RawMessage `json:"order,omitempty"`
}

// MarshalJSON encodes the request as {"id", "kind", "order"}.
func (r Request) MarshalJSON() ([]byte, error) {
	if r.Order == nil {
		return nil, fmt.Errorf("order: request %q has no order", r.ID)
	}
	body, err := json.Marshal(r.Order)
	if err != nil {
		return nil, fmt.Errorf("order: encoding %s: %w", r.Order.Kind(), err)
	}
	return json.Marshal(wireRequest{ID: r.ID, Kind: r.Order.Kind(), Order: body})
}

// UnmarshalJSON decodes {"id", "kind", "order"}. Unknown kinds and unknown
// fields in the order are errors. The order is normalized (see Normalize).
func (r *Request) UnmarshalJSON(data []byte) error {
	var w wireRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("order: decoding request: %w", err)
	}
	t, ok := kindTypes[w.Kind]
	if !ok {
		if w.Kind == "" {
			return &FieldError{Field: "kind", Reason: "missing"}
		}
		return &FieldError{Field: "kind", Reason: fmt.Sprintf("unknown order %q", w.Kind)}
	}
	v := reflect.New(t)
	if len(w.Order) > 0 && !bytes.Equal(bytes.TrimSpace(w.Order), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(w.Order))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v.Interface()); err != nil {
			return fmt.Errorf("order: decoding %s: %w", w.Kind, err)
		}
	}
	r.ID = w.ID
	r.Order = Normalize(v.Elem().Interface().(Order))
	return nil
}
