package exchange

import (
	"errors"

	"github.com/sluiceproxy/sluice/backend"
)

// noBackendStatus is the answer to a request that got no backend
// connection: 502 when the last attempt failed its TLS handshake (a
// backend is there but could not be trusted, or refused us: a bad
// gateway), else 503 (none usable).
func noBackendStatus(err error) int {
	if err != nil && errors.Is(err, backend.ErrHandshake) {
		return 502
	}
	return 503
}
