package exchange

import (
	"errors"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/metrics"
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

// noBackend answers a request that got no backend connection (see
// noBackendStatus), its access log line naming why: the last attempt's
// failed connect or TLS handshake (none when no backend was usable).
func (x *Exchange) noBackend(err error, answers *answer.Set) Result {
	switch {
	case err == nil:
	case errors.Is(err, backend.ErrHandshake):
		x.m.backendErr(metrics.BackendTLS)
	default:
		x.m.backendErr(metrics.BackendConnect)
	}
	return x.answer(noBackendStatus(err), answers)
}
