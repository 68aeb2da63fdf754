package admin

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluiceproxy/sluice/order"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every blocking step of the tests.
const wait = 5 * time.Second

// serve runs a Server for cfg on 127.0.0.1:0 and closes it at the end of
// the test; it returns the server and its base URL.
func serve(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.Handler == nil {
		cfg.Handler = echo
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(wait):
			t.Error("Serve did not return after Close")
		}
		http.DefaultClient.CloseIdleConnections()
	})
	return s, "http://" + ln.Addr().String()
}

// echo answers every order ok, naming its kind and id in the message; a
// metrics order gets an empty content.
func echo(ctx context.Context, req order.Request, progress func(string, *order.Content)) order.Response {
	resp := order.Response{Status: order.StatusOK, Message: string(req.Order.Kind()) + " " + req.ID}
	switch req.Order.(type) {
	case order.Metrics:
		resp.Content = &order.Content{Metrics: &order.MetricsContent{}}
	case order.SubscribeEvents:
		progress("subscribed to events", nil)
		<-ctx.Done()
	}
	return resp
}

// do sends a request and returns its status and body.
func do(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

var jsonMarshal = json.Marshal
