package pipe

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
)

// TestInqSavesTheEmptyRead: where the kernel tells what a read left
// (TCP_INQ), a message going back and forth costs no read that finds the
// socket empty: the callback waits as soon as a read leaves nothing.
func TestInqSavesTheEmptyRead(t *testing.T) {
	var reads, empty atomic.Int64
	readFD = func(q *sock.Inq, fd uintptr, p []byte) (int, int, bool, error) {
		n, rest, again, err := readRest(q, fd, p)
		reads.Add(1)
		if again {
			empty.Add(1)
		}
		return n, rest, again, err
	}
	defer func() { readFD = readRest }()
	client, server, done := setup(t, time.Minute, false)
	go echo(server)
	const messages = 500
	msg, got := pattern(64), make([]byte, 64)
	for i := range messages {
		msg[0] = byte(i)
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
	client.CloseWrite()
	if n, err := io.Copy(io.Discard, client); n != 0 || err != nil {
		t.Fatalf("after the end: %d bytes, %v", n, err)
	}
	if res := <-done; res.Err != nil || res.AToB != messages*64 || res.BToA != messages*64 {
		t.Fatalf("%+v, want every message both ways", res)
	}
	// Both directions read each message once: 2 × 500 reads with bytes,
	// plus the ends; without TCP_INQ each also makes an empty read.
	if e := empty.Load(); e > messages/10 {
		t.Errorf("%d reads of %d found the socket empty for %d messages each way; want almost none", e, reads.Load(), messages)
	}
}

// TestInqDataWithTheEnd: bytes and the end of the stream that come
// together (the client writes and closes at once) are both passed on at
// once: the read that took the bytes was told something was left (the
// end) and read on, rather than waiting for a readiness that would never
// come again.
func TestInqDataWithTheEnd(t *testing.T) {
	for i := range 50 {
		client, server, done := setup(t, time.Minute, false)
		msg := pattern(100 + i)
		// One write, then the FIN: often in the socket together when the
		// relay's read comes.
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		client.CloseWrite()
		// Well before the relay's silence check (an eighth of its minute)
		// would find the end anyway.
		server.SetReadDeadline(time.Now().Add(3 * time.Second))
		got, err := io.ReadAll(server) // ends only at the relayed end of stream
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round %d: %d bytes, %v; want the message and its end", i, len(got), err)
		}
		server.CloseWrite()
		if res := <-done; res.Err != nil || res.AToB != int64(len(msg)) {
			t.Fatalf("round %d: %+v", i, res)
		}
	}
}
