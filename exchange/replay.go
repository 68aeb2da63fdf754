package exchange

// The replay policy, the one place that decides when a request is sent
// twice. A request may be replayed when it is safe to send again and
// nothing of it can have been consumed: a method that is safe (RFC 9110
// §9.2.1: GET, HEAD, OPTIONS, TRACE) and no body. Such a request may use a
// pooled backend connection; any other gets a new one, so that a
// connection that died while idle can never lose it. A replayable request
// whose pooled connection fails before the first byte of a response (the
// write fails, the connection ends or is reset, or what comes back is no
// response: bytes left over from a mis-framed earlier answer) is sent
// again once, on a new connection (to the same backend, or another when
// that one cannot be reached). Requests that are not replayable but
// idempotent with their body sent whole are sent again too, on a new
// connection, when theirs fails (see the retry rule in policy.go).

// Replayable reports whether req may be replayed.
func Replayable(req *Request) bool {
	if req.HasBody() {
		return false
	}
	switch string(req.Method) {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}
