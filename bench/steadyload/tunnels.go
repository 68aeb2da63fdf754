package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The long exchanges of the upgrade benchmark (bench/upgrade.sh): an
// upload, a WebSocket and a TCP stream, one of each at a time, each
// lasting -tunnel and started again until the run ends (the last one
// finishes after). One that breaks (an error, a wrong echo, a wrong
// answer) is counted broken with its error; one that ends as planned is
// done.

// tunnelStats counts the sessions of one kind.
type tunnelStats struct {
	name         string
	done, broken atomic.Int64
	mu           sync.Mutex
	errs         []string
}

func (t *tunnelStats) result(err error) {
	if err == nil {
		t.done.Add(1)
		return
	}
	t.broken.Add(1)
	t.mu.Lock()
	if len(t.errs) < 10 {
		t.errs = append(t.errs, err.Error())
	}
	t.mu.Unlock()
}

// again runs one session after another until stop.
func again(stop <-chan struct{}, t *tunnelStats, session func() error) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		t.result(session())
	}
}

// upload sends size bytes as one request body, paced over d, and checks
// the origin's "N bytes" answer.
func upload(addr, host, path string, size int64, d time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return fmt.Errorf("upload: connect: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(d + 30*time.Second))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", path, host, size)
	if _, err := io.WriteString(c, head); err != nil {
		return fmt.Errorf("upload: %v", err)
	}
	const chunks = 64
	chunk := bytes.Repeat([]byte("u"), int(size/chunks))
	pace := time.NewTicker(d / chunks)
	defer pace.Stop()
	var sent int64
	for i := 0; i < chunks; i++ {
		<-pace.C
		b := chunk
		if i == chunks-1 {
			b = bytes.Repeat([]byte("u"), int(size-sent))
		}
		if _, err := c.Write(b); err != nil {
			return fmt.Errorf("upload: broken after %d of %d bytes: %v", sent, size, err)
		}
		sent += int64(len(b))
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Errorf("upload: the answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := strconv.FormatInt(size, 10) + " bytes"; resp.StatusCode != 200 || string(body) != want {
		return fmt.Errorf("upload: answered %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	return nil
}

// webSocket opens a WebSocket and sends a message every 50 ms for d,
// checking each echo, then closes it normally.
func webSocket(addr, host, path string, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+path, &websocket.DialOptions{Host: host})
	if err != nil {
		return fmt.Errorf("websocket: %v", err)
	}
	defer c.CloseNow()
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		msg := []byte("message " + strconv.Itoa(i))
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			return fmt.Errorf("websocket: broken at message %d: %v", i, err)
		}
		_, got, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("websocket: broken at message %d: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("websocket: message %d echoed as %q", i, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		return fmt.Errorf("websocket: closing: %v", err)
	}
	return nil
}

// tcpStream sends 1 KiB every 50 ms for d through a TCP listener to an
// echo origin, checking each echo, then closes its side and expects the
// end of the stream.
func tcpStream(addr string, d time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return fmt.Errorf("tcp: connect: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(d + 30*time.Second))
	buf := make([]byte, 1024)
	got := make([]byte, 1024)
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		for j := range buf {
			buf[j] = byte(i + j)
		}
		if _, err := c.Write(buf); err != nil {
			return fmt.Errorf("tcp: broken at block %d: %v", i, err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			return fmt.Errorf("tcp: broken at block %d: %v", i, err)
		}
		if !bytes.Equal(got, buf) {
			return fmt.Errorf("tcp: block %d echoed wrong", i)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return fmt.Errorf("tcp: closing: %v", err)
	}
	if n, err := c.Read(got); err != io.EOF {
		return fmt.Errorf("tcp: after closing, read %d bytes, %v; want the end of the stream", n, err)
	}
	return nil
}
