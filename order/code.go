package order

import "errors"

// ErrorCode classifies why an order was refused, for callers that map a
// refusal to something of their own (the admin API's HTTP statuses). The
// message stays the reason; the code only says which kind of reason.
type ErrorCode string

// The error codes of a refused order.
const (
	// CodeInvalid: the order is wrong in itself or does not fit the
	// configuration (a field's syntax, a reference of the wrong protocol,
	// a rule of the state). HTTP 400.
	CodeInvalid ErrorCode = "invalid"
	// CodeNotFound: the order names an object that does not exist (a
	// cluster, a backend, a listener, a frontend, a certificate). HTTP 404.
	CodeNotFound ErrorCode = "not_found"
	// CodeConflict: an object with the order's key exists with other
	// settings (an add that should be an update), or a setting that is
	// fixed while the object exists. HTTP 409.
	CodeConflict ErrorCode = "conflict"
	// CodeUnavailable: the proxy cannot take orders now (stopping, or
	// handed over to a new process). HTTP 503.
	CodeUnavailable ErrorCode = "unavailable"
	// CodeFailed: the order was valid but carrying it out failed (a
	// socket that could not be bound, a file that could not be written,
	// an upgrade that failed). HTTP 500.
	CodeFailed ErrorCode = "failed"
)

// NotFound returns a *FieldError with CodeNotFound.
func NotFound(field, format string, args ...any) error {
	e := fieldErr(field, format, args...).(*FieldError)
	e.Code = CodeNotFound
	return e
}

// Conflict returns a *FieldError with CodeConflict.
func Conflict(field, format string, args ...any) error {
	e := fieldErr(field, format, args...).(*FieldError)
	e.Code = CodeConflict
	return e
}

// CodeOf classifies err: the Code of the *FieldError it wraps (CodeInvalid
// when that has none), else CodeFailed; "" for nil.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		if fe.Code != "" {
			return fe.Code
		}
		return CodeInvalid
	}
	return CodeFailed
}
