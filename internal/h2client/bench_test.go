package h2client_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
)

// BenchmarkRoundTrip is a GET and its 13-byte response, one after the
// other on one connection to net/http's h2c server: the client's cost
// per exchange (allocations included) beside the server's.
func BenchmarkRoundTrip(b *testing.B) {
	srv := newH2C(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello, world\n")
	}), nil)
	c := dial(b, srv.Addr, h2client.Config{})
	req := get("/bench")
	req.Fields = fields("user-agent", "bench", "accept", "*/*")
	buf := make([]byte, 512)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if !c.Reserve() {
			b.Fatal("Reserve refused")
		}
		s, err := c.Open(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		h, err := s.Head(5 * time.Second)
		if err != nil || h.Status != 200 {
			b.Fatalf("Head: %v, %v", h, err)
		}
		for err == nil {
			_, err = s.Read(buf)
		}
		if err != io.EOF {
			b.Fatal(err)
		}
		s.Close()
	}
}
