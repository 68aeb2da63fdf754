package admin

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// conns counts the server's open connections (http.Server.ConnState), so
// that Close can wait for net/http's goroutines to end: after a response
// that closes its connection, net/http lingers up to half a second before
// the close, in a goroutine Server.Close does not wait for.
type conns struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n reaches 0, once someone waits
}

func (c *conns) track(_ net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateNew:
		c.n++
	case http.StateClosed, http.StateHijacked:
		c.n--
		if c.n == 0 && c.idle != nil {
			close(c.idle)
			c.idle = nil
		}
	}
}

// wait returns once every connection is closed, or after timeout.
func (c *conns) wait(timeout time.Duration) {
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	idle := c.idle
	c.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}
