package fleet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
)

// Diagnose says why etcd does not answer, when the client cannot: the
// etcd client reports a connection it cannot make (a certificate refused
// either way, a port closed) only as a request's timeout. It connects to
// each endpoint in turn, with c's TLS settings, and returns the first
// endpoint's error with the step that failed ("https://10.0.0.1:2379: TLS:
// remote error: tls: certificate required"), or nil when one endpoint
// accepts the connection (the cause is elsewhere). Each step waits at most
// a second, and no longer than ctx.
func (c ClientConfig) Diagnose(ctx context.Context) error {
	tc, err := c.tls()
	if err != nil {
		return err
	}
	var first error
	for _, ep := range c.Endpoints {
		err := diagnose(ctx, ep, tc)
		if err == nil {
			return nil
		}
		if first == nil {
			first = fmt.Errorf("%s: %w", ep, err)
		}
	}
	return first
}

func diagnose(ctx context.Context, ep string, tc *tls.Config) error {
	u, err := url.Parse(ep)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if u.Scheme != "https" {
		return nil
	}
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tc = tc.Clone()
	tc.ServerName, tc.NextProtos = u.Hostname(), []string{"h2"}
	tconn := tls.Client(conn, tc)
	if err := tconn.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	// With TLS 1.3 the server checks the client's certificate after the
	// client's handshake is done: its refusal is the first thing read.
	// etcd's HTTP/2 server speaks first (its settings), so a read that
	// returns data, or nothing within the deadline, is an accepted
	// connection.
	deadline, _ := ctx.Deadline()
	tconn.SetReadDeadline(deadline)
	if _, err := tconn.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("TLS: %w", err)
	}
	return nil
}
