package exchange

import (
	"context"
	"errors"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// A Front is the client side of an exchange: the protocol session that read
// the request and writes the response, in its protocol. The stage calls its
// methods from the goroutine that called Serve, except ReadBody, which the
// upload goroutine calls (never at the same time as InitialBody), and
// StopBody, which may come from either.
type Front interface {
	// InitialBody returns the request body bytes the front holds already
	// (read with the head), as payload: chunked framing removed. done
	// reports that they are the whole body. The bytes stay valid until
	// the next call of a body method. err is ErrBadBody when they break
	// the body's framing: nothing has been sent then.
	InitialBody() (p []byte, done bool, err error)
	// ReadBody reads the next body bytes, as payload, into p, as an
	// io.Reader does; io.EOF once the body is whole. A body that breaks
	// its framing (a bad chunk, an HTTP/2 body longer or shorter than its
	// content-length) gives ErrBadBody. The listener's max_body_bytes is
	// the stage's to enforce, for every front and backend alike: the
	// bytes with the head (overLimit), then each read (readRequestBody).
	ReadBody(p []byte) (int, error)
	// StopBody makes a ReadBody in progress, or the next one, fail at
	// once: the response ended before the body, or the exchange aborts.
	StopBody()

	// TakesChunked reports whether the front's clients read chunked
	// framing (HTTP/1.1): a backend's chunked body then reaches WriteBody
	// as the backend framed it (checked, trailers included); else it is
	// decoded first.
	TakesChunked() bool
	// WriteInterim writes an interim (1xx, not 101) response.
	WriteInterim(h *Head) error
	// WriteHead writes the response head, then body (the first body
	// bytes, framed as h.Framing says; nil for none).
	WriteHead(h *Head, body []byte) error
	// WriteBody writes more of the response body.
	WriteBody(p []byte) error
	// EndBody ends a response body of Framing Unsized (which the front
	// may be chunking itself), with the backend's trailer fields (those
	// of an HTTP/2 backend, or of an HTTP/1.1 backend's chunked body the
	// stage decoded) where the front can send them: HTTP/2, and a body
	// the HTTP/1.1 front chunks itself; others drop them. Bodies of other
	// framings end without it.
	EndBody(trailers []h1.Header) error
	// Tunnel completes an upgrade the backend accepted (h is its 101
	// head; early holds bytes the backend sent after it): the front
	// relays bytes between its client and bc until both sides end. Only a
	// front whose requests can carry Request.Upgrade is ever asked.
	Tunnel(bc *backend.Conn, h *Head, early []byte)
	// Context is done when the client is gone (an HTTP/2 stream reset):
	// an exchange over HTTP/2 to the backend ends with it.
	Context() context.Context
	// Holding tells the front which backend connection the exchange uses
	// now (nil: none), so that a hard stop or a client's reset can close
	// it from another goroutine.
	Holding(bc *backend.Conn)
}

// Body errors a front reports.
var (
	// ErrBadBody: the request body broke its framing.
	ErrBadBody = errors.New("exchange: malformed request body")
	// ErrTooLarge: the request body passed max_body_bytes.
	ErrTooLarge = errors.New("exchange: request body over the limit")
)

// Result is how an exchange ended, for the front to decide what becomes of
// its connection (HTTP/1.1) or stream (HTTP/2).
type Result uint8

const (
	// Complete: the response went out whole and the request body was
	// read whole: the connection can serve another request.
	Complete Result = iota
	// Unread: the response went out whole, but the request body was not
	// read whole (or the connection was upgraded): an HTTP/1.1
	// connection must close.
	Unread
	// Broken: a response that began could not be finished, or the
	// client went away: the connection closes, the stream is reset.
	Broken
)
