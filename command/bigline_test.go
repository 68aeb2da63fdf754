package command_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// TestTenMegabyteLine: a 10 MB line gets an error about its size, the
// server does not buffer it (it allocates far less than 10 MB while
// reading it) and the connection answers the next order.
func TestTenMegabyteLine(t *testing.T) {
	srv := start(t, fake)
	r := dialRaw(t, srv)
	r.alive() // warm up the connection before measuring

	const size = 10 << 20
	piece := bytes.Repeat([]byte("x"), 64<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	wrote := make(chan error, 1)
	go func() {
		// A syntactically plausible start, then 10 MB of filler.
		_, err := r.c.Write([]byte(`{"id":"big","kind":"add_cluster","order":{"id":"`))
		for n := 0; n < size && err == nil; n += len(piece) {
			_, err = r.c.Write(piece)
		}
		if err == nil {
			_, err = r.c.Write([]byte("\"}}\n"))
		}
		wrote <- err
	}()
	got := r.resp()
	if err := receive(t, wrote, "the writer"); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("request line longer than %d bytes; discarded", command.DefaultMaxLineBytes)
	if got.ID != "" || got.Status != order.StatusError || got.Message != want {
		t.Errorf("got %+v, want error %q", got, want)
	}
	// TotalAlloc counts every allocation, freed or not: the server may
	// collect up to the 1 MiB limit, never the whole line.
	grown := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while a 10 MiB line went through", grown>>10)
	if grown > 4<<20 {
		t.Errorf("allocated %d bytes while reading a 10 MiB line", grown)
	}
	r.alive()
}

// TestLineLimit: a line of exactly MaxLineBytes is read, one byte more is
// refused, and the limit is settable.
func TestLineLimit(t *testing.T) {
	srv := start(t, fake, func(s *command.Server) { s.MaxLineBytes = 100 })
	r := dialRaw(t, srv)
	line := []byte(`{"id":"l","kind":"status"}`)
	exact := append(line, bytes.Repeat([]byte(" "), 100-len(line))...)
	r.send(string(exact) + "\n")
	if got := r.line(); got != `{"id":"l","status":"ok"}` {
		t.Errorf("a line of exactly the limit: %s", got)
	}
	r.send(string(exact) + " \n")
	if got := r.line(); got != `{"id":"","status":"error","message":"request line longer than 100 bytes; discarded"}` {
		t.Errorf("a line one byte over the limit: %s", got)
	}
	r.alive()
}
