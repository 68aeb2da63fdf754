package command

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// hangupPoll is how often a connection whose handler is running is checked
// for a client that went away.
const hangupPoll = 100 * time.Millisecond

// conn is one client connection being served.
type conn struct {
	s      *Server
	c      net.Conn
	cancel context.CancelFunc

	wmu    sync.Mutex // one response line at a time
	broken bool       // a write failed: write no more
}

// serveConn reads request lines from c and answers each, in order, until the
// client closes its side, goes away, or the server closes.
func (s *Server) serveConn(parent context.Context, c net.Conn, h Handler) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	cn := &conn{s: s, c: c, cancel: cancel}
	limit := s.MaxLineBytes
	if limit <= 0 {
		limit = DefaultMaxLineBytes
	}
	r := bufio.NewReaderSize(c, 16<<10)
	for ctx.Err() == nil {
		line, tooLong, err := readLine(r, limit)
		if err != nil && err != io.EOF || ctx.Err() != nil {
			return // the connection broke or the server is closing: no half lines
		}
		switch {
		case tooLong:
			cn.final("", order.Response{Status: order.StatusError,
				Message: fmt.Sprintf("request line longer than %d bytes; discarded", limit)})
		case !blank(line):
			cn.serve(ctx, line, h)
		}
		if err != nil {
			return // EOF: every line is answered
		}
	}
}

// blank reports whether a line holds only JSON whitespace.
func blank(line []byte) bool {
	for _, b := range line {
		if b != ' ' && b != '\t' && b != '\r' {
			return false
		}
	}
	return true
}

// serve decodes one request line, runs h on it and writes the answers.
func (cn *conn) serve(ctx context.Context, line []byte, h Handler) {
	var req order.Request
	if err := json.Unmarshal(line, &req); err != nil {
		// Best effort: echo the id if the line still has a readable one.
		var probe struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(line, &probe)
		cn.final(probe.ID, order.Response{Status: order.StatusError, Message: "invalid request: " + order.DescribeDecodeError(err)})
		return
	}
	var (
		pmu  sync.Mutex
		done bool
	)
	progress := func(message string, content *order.Content) {
		pmu.Lock()
		defer pmu.Unlock()
		if !done {
			cn.write(order.Response{ID: req.ID, Status: order.StatusProcessing, Message: message, Content: content})
		}
	}
	stop := cn.watchHangup(ctx)
	resp := call(context.WithValue(ctx, requestIDKey{}, req.ID), h, req.Order, progress)
	stop()
	pmu.Lock()
	done = true
	pmu.Unlock()
	cn.final(req.ID, resp)
}

type requestIDKey struct{}

// RequestID is the id the client gave the request a handler serves, from
// the handler's context ("" when it gave none, or outside a handler): the
// proxy logs orders with it, so that a client can find its own in the log.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// call runs h, turning a panic into an error answer.
func call(ctx context.Context, h Handler, o order.Order, progress Progress) (resp order.Response) {
	defer func() {
		if p := recover(); p != nil {
			resp = order.Response{Status: order.StatusError,
				Message: fmt.Sprintf("internal error: the %s handler panicked: %v", o.Kind(), p)}
		}
	}()
	return h(ctx, o, progress)
}

// final writes the final answer to a request with the given id.
func (cn *conn) final(id string, resp order.Response) {
	resp.ID = id
	if resp.Status != order.StatusOK && resp.Status != order.StatusError {
		resp = order.Response{ID: id, Status: order.StatusError,
			Message: fmt.Sprintf("internal error: the handler answered with status %q", resp.Status)}
	}
	cn.write(resp)
}

// write sends one response line. A failed write marks the connection broken
// and cancels its context; the serving loop then stops.
func (cn *conn) write(resp order.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(order.Response{ID: resp.ID, Status: order.StatusError,
			Message: "internal error: encoding the response: " + err.Error()})
		if !resp.Final() {
			return // never let a failed progress line pass for a final answer
		}
	}
	b = append(b, '\n')
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	if cn.broken {
		return
	}
	timeout := cn.s.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	if cn.s.ctx.Err() != nil {
		timeout = min(timeout, closeWriteGrace) // closing
	}
	cn.c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := cn.c.Write(b); err != nil {
		cn.broken = true
		cn.cancel()
		cn.c.Close() // unblock the reader
	}
}

// watchHangup checks, while a handler runs, whether the client has gone
// away entirely (not merely shut down its writing side) and if so cancels
// the connection's context. The returned function stops the watch and waits
// for it.
func (cn *conn) watchHangup(ctx context.Context) (stop func()) {
	sc, ok := cn.c.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(hangupPoll)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if peerGone(raw) {
					cn.cancel()
					return
				}
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// readLine reads one line of at most limit bytes (newline excluded) and
// returns it without its newline. A longer line is consumed up to and
// including its newline but not kept: tooLong is set and line is nil. err is
// io.EOF (or the read error) once the input ends; a last line without a
// newline is returned along with it.
func readLine(r *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		data := chunk
		if err == nil {
			data = chunk[:len(chunk)-1]
		}
		if !tooLong {
			if len(line)+len(data) > limit {
				tooLong, line = true, nil
			} else {
				line = appendDoubling(line, data, limit)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, tooLong, err
	}
}

// appendDoubling appends data to line, growing it by doubling (capped at
// limit) so that reading a line of n bytes allocates less than 2n in all.
func appendDoubling(line, data []byte, limit int) []byte {
	if need := len(line) + len(data); need > cap(line) {
		grown := make([]byte, len(line), min(max(2*cap(line), need, 512), max(limit, need)))
		copy(grown, line)
		line = grown
	}
	return append(line, data...)
}
