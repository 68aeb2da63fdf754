package order

import (
	"encoding/json"
	"errors"
	"strings"
)

// DescribeDecodeError words an error of decoding a Request (from JSON) for
// the client that sent it, without this package's "order: " prefix: the
// command socket and the admin API answer with it.
func DescribeDecodeError(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "not JSON: " + se.Error()
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" && te.Value != "object" {
		return "not a JSON object but " + te.Value + ` (a request is {"id":…,"kind":…,"order":{…}})`
	}
	return strings.TrimPrefix(err.Error(), "order: ")
}
