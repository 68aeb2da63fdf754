package etcdtest

import (
	"io"
	"net"
	"sync"
	"time"
)

// front is the loopback port clients reach etcd on: it relays each
// connection to etcd's own port, so that a Stop cuts every connection at
// once, as a crash of etcd's process or host would (etcd's own graceful
// stop waits seconds for the watch streams).
type front struct {
	addr, to string
	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// open listens on f.addr (again) and relays to f.to until close.
func (f *front) open() error {
	var ln net.Listener
	var err error
	for try := 0; try < 100; try++ { // the port of a closed front may take a moment
		if ln, err = net.Listen("tcp", f.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.ln, f.conns = ln, map[net.Conn]struct{}{}
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.relay(c)
		}
	}()
	return nil
}

func (f *front) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns == nil {
		c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *front) relay(c net.Conn) {
	if !f.track(c) {
		return
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer c.Close()
		up, err := net.DialTimeout("tcp", f.to, time.Second)
		if err != nil || !f.track(up) {
			return
		}
		defer up.Close()
		done := make(chan struct{})
		go func() {
			io.Copy(up, c)
			up.Close()
			close(done)
		}()
		io.Copy(c, up)
		c.Close()
		<-done
	}()
}

// close stops listening and cuts every connection.
func (f *front) close() {
	f.mu.Lock()
	if f.ln != nil {
		f.ln.Close()
	}
	for c := range f.conns {
		c.Close()
	}
	f.conns = nil
	f.mu.Unlock()
	f.wg.Wait()
}
