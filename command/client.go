package command

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// ErrUnreachable is wrapped by the error of [Dial] when nothing listens at
// the path or the path is missing (the CLI exits with code 3).
var ErrUnreachable = errors.New("command: cannot reach the command socket")

// ErrClientClosed is returned by [Client.Do] once the client is closed,
// including after a Do whose context ended.
var ErrClientClosed = errors.New("command: client closed")

// dialTimeout bounds connecting to the socket.
const dialTimeout = 5 * time.Second

// maxResponseBytes bounds one response line read by a client (a dump of a
// large configuration fits easily).
const maxResponseBytes = 256 << 20

// Client talks to a command socket over one connection. It is safe for
// concurrent use; calls to Do take turns.
type Client struct {
	mu   sync.Mutex // held by Do for a whole exchange
	conn net.Conn
	r    *bufio.Reader
	seq  uint64
	err  error // set once the connection is unusable

	closed atomic.Bool
}

// Dial connects to the command socket at path. When nothing listens there,
// the file is missing or cannot be reached, the error wraps [ErrUnreachable]
// and the cause.
func Dial(path string) (*Client, error) {
	c, err := net.DialTimeout("unix", path, dialTimeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return &Client{conn: c, r: bufio.NewReader(c)}, nil
}

// Do sends o with a fresh id ("cli-PID-N": the process id, then a count,
// so that the proxy's log tells one client's orders from another's), calls onProgress (if not nil) with each
// processing response, and returns the final response. An order the proxy
// refuses is a response with Status error and a nil error; the error is for
// failures to exchange. Do honours ctx: when it ends first, Do closes the
// connection (the client is then unusable) and returns ctx.Err().
//
// A stream such as a future "events" order never gets a final response: Do
// hands each event to onProgress until ctx is cancelled.
func (c *Client) Do(ctx context.Context, o order.Order, onProgress func(order.Response)) (order.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return order.Response{}, ErrClientClosed
	}
	if c.err != nil {
		return order.Response{}, c.err
	}
	if err := ctx.Err(); err != nil {
		return order.Response{}, err
	}
	c.seq++
	id := "cli-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(c.seq, 10)
	line, err := json.Marshal(order.Request{ID: id, Order: o})
	if err != nil {
		return order.Response{}, fmt.Errorf("command: %w", err)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.conn.Close()
		close(fired)
	})
	resp, err := c.exchange(id, append(line, '\n'), onProgress)
	if !stop() {
		<-fired
		c.err = ErrClientClosed
		if err != nil {
			return order.Response{}, ctx.Err()
		}
		return resp, nil // answered before the cancellation took effect
	}
	if err != nil {
		c.err = err
		c.conn.Close()
		return order.Response{}, err
	}
	return resp, nil
}

// exchange writes one request line and reads responses up to the final one.
func (c *Client) exchange(id string, line []byte, onProgress func(order.Response)) (order.Response, error) {
	if _, err := c.conn.Write(line); err != nil {
		return order.Response{}, fmt.Errorf("command: sending the order: %w", err)
	}
	for {
		b, tooLong, err := readLine(c.r, maxResponseBytes)
		if tooLong {
			return order.Response{}, fmt.Errorf("command: a response is longer than %d bytes", maxResponseBytes)
		}
		if err != nil && len(b) == 0 {
			if err == io.EOF {
				return order.Response{}, errors.New("command: the proxy closed the connection before answering")
			}
			return order.Response{}, fmt.Errorf("command: reading the answer: %w", err)
		}
		if blank(b) {
			continue
		}
		var resp order.Response
		if err := json.Unmarshal(b, &resp); err != nil {
			return order.Response{}, fmt.Errorf("command: a response is not JSON: %w", err)
		}
		// Answers come in order, so the next final one is ours; a server
		// that could not read our line answers with id "".
		if resp.ID != id && !(resp.ID == "" && resp.Status == order.StatusError) {
			return order.Response{}, fmt.Errorf("command: response for id %q while waiting for %q", resp.ID, id)
		}
		if resp.Final() {
			return resp, nil
		}
		if onProgress != nil {
			onProgress(resp)
		}
	}
}

// Close closes the connection. A Do in progress fails.
func (c *Client) Close() error {
	c.closed.Store(true)
	err := c.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
