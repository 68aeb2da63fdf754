package exchange

import (
	"io"
	"log/slog"
	"testing"
)

// TestBulkBuffersBounded: at most BulkMax bulk buffers are out at once;
// one given back can be taken again; BulkMax of zero or less gives none.
func TestBulkBuffersBounded(t *testing.T) {
	e := NewEnv(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if e.BulkMax != DefaultBulkMax {
		t.Fatalf("BulkMax %d, want the default %d", e.BulkMax, DefaultBulkMax)
	}
	e.BulkMax = 2
	a, b := e.GetBulk(), e.GetBulk()
	if a == nil || b == nil || len(*a) != BulkBufSize {
		t.Fatalf("the first two: %v %v", a, b)
	}
	if c := e.GetBulk(); c != nil {
		t.Fatal("a third bulk buffer with BulkMax 2")
	}
	if n := e.BuffersInUse.Load(); n != 2 {
		t.Errorf("BuffersInUse %d, want 2 (a refusal counts nothing)", n)
	}
	e.PutBulk(a)
	if c := e.GetBulk(); c == nil {
		t.Fatal("none after one was given back")
	} else {
		e.PutBulk(c)
	}
	e.PutBulk(b)
	if n := e.BuffersInUse.Load(); n != 0 {
		t.Errorf("BuffersInUse %d after all were given back", n)
	}
	for _, max := range []int{0, -1} {
		e.BulkMax = max
		if c := e.GetBulk(); c != nil {
			t.Errorf("a bulk buffer with BulkMax %d", max)
		}
	}
}
