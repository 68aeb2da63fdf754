package backend

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// H2CIdleTimeout is how long an idle cleartext HTTP/2 connection to a
// backend is kept.
const H2CIdleTimeout = 30 * time.Second

// h2cClient is the cleartext HTTP/2 (prior knowledge) client of a backend
// of a cluster with http2 set: net/http's transport restricted to
// unencrypted HTTP/2, which multiplexes requests over few connections and
// keeps them open while idle.
type h2cClient struct {
	once sync.Once
	tr   *http.Transport
	made atomic.Pointer[http.Transport] // tr, for goroutines that did not run once
}

type connectTimeoutKey struct{}

// WithConnectTimeout returns ctx carrying the connect timeout RoundTripH2C
// dials with.
func WithConnectTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, connectTimeoutKey{}, d)
}

func (b *Backend) h2c() *http.Transport {
	b.h2.once.Do(func() {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		b.h2.tr = &http.Transport{
			Protocols:          &p,
			DisableCompression: true,
			IdleConnTimeout:    H2CIdleTimeout,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				d := net.Dialer{}
				if t, ok := ctx.Value(connectTimeoutKey{}).(time.Duration); ok && t > 0 {
					d.Timeout = t
				}
				c, err := b.dialAny(ctx, &d) // the latest addresses of a named host
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetNoDelay(true)
				}
				return c, err
			},
		}
		b.h2.made.Store(b.h2.tr)
	})
	return b.h2.tr
}

// RoundTripH2C sends req to the backend over cleartext HTTP/2, whatever
// req.URL's host says (the backend's address is dialled). The caller closes
// the response body; the stream's connection stays pooled for others.
func (b *Backend) RoundTripH2C(req *http.Request) (*http.Response, error) {
	tr := b.h2c()
	if tr == nil {
		return nil, errRemoved
	}
	return tr.RoundTrip(req)
}

var errRemoved = errors.New("backend: removed")

// closeH2C (called once b.h2.once has run) closes the idle cleartext HTTP/2 connections; those busy close
// once their streams end (see DoneH2C).
func (b *Backend) closeH2C() {
	if b.h2.tr != nil {
		b.h2.tr.CloseIdleConnections()
	}
}

// DoneH2C is called when a request sent with RoundTripH2C is over (its
// response body closed): a removed backend's connections then close.
func (b *Backend) DoneH2C() {
	if b.removed.Load() {
		b.closeH2C()
	}
}
