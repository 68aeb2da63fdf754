package command_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

func dial(t *testing.T, srv *command.Server) *command.Client {
	t.Helper()
	c, err := command.Dial(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDo(t *testing.T) {
	srv := start(t, fake)
	c := dial(t, srv)
	ctx := context.Background()

	resp, err := c.Do(ctx, order.AddCluster{Cluster: order.Cluster{ID: "shop"}}, nil)
	if err != nil || resp.Status != order.StatusOK || resp.ID == "" {
		t.Fatalf("add_cluster: %+v %v", resp, err)
	}

	// A refused order is a response, not an error.
	resp, err = c.Do(ctx, order.AddCluster{Cluster: order.Cluster{ID: "bad id!"}}, nil)
	if err != nil || resp.Status != order.StatusError || resp.Message[:11] != "cluster.id:" {
		t.Fatalf("bad add_cluster: %+v %v", resp, err)
	}

	var progress []string
	resp, err = c.Do(ctx, order.RemoveCluster{ID: "shop"}, func(r order.Response) {
		progress = append(progress, r.Message)
	})
	if err != nil || resp.Status != order.StatusOK {
		t.Fatalf("remove_cluster: %+v %v", resp, err)
	}
	if want := []string{"draining 2 requests in flight", "drained"}; !reflect.DeepEqual(progress, want) {
		t.Errorf("progress %q, want %q", progress, want)
	}
	// A nil onProgress skips them.
	if resp, err := c.Do(ctx, order.RemoveCluster{ID: "shop"}, nil); err != nil || resp.Status != order.StatusOK {
		t.Fatalf("remove_cluster without onProgress: %+v %v", resp, err)
	}

	resp, err = c.Do(ctx, order.ListClusters{}, nil)
	if err != nil || resp.Content == nil || len(resp.Content.Clusters) != 2 || resp.Content.Clusters[1].ID != "db" {
		t.Fatalf("list_clusters: %+v %v", resp, err)
	}

	if _, err := c.Do(ctx, nil, nil); err == nil {
		t.Error("Do with a nil order succeeded")
	}
	// The client still works after an order it could not encode.
	if resp, err := c.Do(ctx, order.Status{}, nil); err != nil || resp.Status != order.StatusOK {
		t.Fatalf("status: %+v %v", resp, err)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, order.Status{}, nil); !errors.Is(err, command.ErrClientClosed) {
		t.Errorf("Do after Close: %v", err)
	}
}

// TestDoHonoursContext: Do returns ctx's error soon after it ends, while the
// handler still runs; the client is then closed, and the server notices
// the client went away.
func TestDoHonoursContext(t *testing.T) {
	b := newBlocker()
	srv := start(t, b.handle)
	c := dial(t, srv)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := c.Do(ctx, order.Status{}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("Do returned after %v", d)
	}
	if _, err := c.Do(context.Background(), order.Status{}, nil); !errors.Is(err, command.ErrClientClosed) {
		t.Errorf("Do after a cancelled Do: %v", err)
	}
	receive(t, b.started, "handler")
	if err := receive(t, b.ended, "handler end"); !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx: %v", err)
	}

	// An already cancelled context sends nothing.
	c2 := dial(t, srv)
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c2.Do(cancelled, order.Status{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a cancelled context: %v", err)
	}
}

// TestDoStream: a handler that streams progress until the client leaves,
// as the future events order will; Do hands each to onProgress until ctx
// is cancelled.
func TestDoStream(t *testing.T) {
	ended := make(chan struct{})
	srv := start(t, func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
		defer close(ended)
		for {
			select {
			case <-ctx.Done():
				return order.Response{Status: order.StatusOK}
			case <-time.After(5 * time.Millisecond):
				progress("backend shop/b1 up", nil)
			}
		}
	})
	c := dial(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := c.Do(ctx, order.Status{}, func(r order.Response) {
		if r.Status != order.StatusProcessing || r.Message != "backend shop/b1 up" {
			t.Errorf("event %+v", r)
		}
		if n++; n == 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do: %v", err)
	}
	receive(t, ended, "the stream's end")
}

// TestDoServerCloses: a server that closes mid-order sends the handler's
// final answer; the next Do fails.
func TestDoServerCloses(t *testing.T) {
	b := newBlocker()
	srv, err := command.Listen(t.TempDir() + "/s.sock")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(b.handle) }()
	c := dial(t, srv)
	type result struct {
		resp order.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.Do(context.Background(), order.Status{}, nil)
		done <- result{resp, err}
	}()
	receive(t, b.started, "handler")
	srv.Close()
	<-served
	<-b.ended
	if r := receive(t, done, "Do"); r.err != nil || r.resp.Status != order.StatusError || r.resp.Message != "cancelled" {
		t.Errorf("Do across Close: %+v %v", r.resp, r.err)
	}
	if _, err := c.Do(context.Background(), order.Status{}, nil); err == nil {
		t.Error("Do succeeded on a closed server")
	}
}

// TestDoServerGone: a peer that closes without answering gives an error, not
// a hang; so does one that answers garbage.
func TestDoServerGone(t *testing.T) {
	for _, answer := range []string{"", "not json\n", `{"id":"other","status":"ok"}` + "\n"} {
		path := t.TempDir() + "/s.sock"
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan struct{})
		go func() {
			defer close(accepted)
			c, err := ln.Accept()
			if err != nil {
				return
			}
			bufio.NewReader(c).ReadString('\n')
			c.Write([]byte(answer))
			c.Close()
		}()
		c, err := command.Dial(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(context.Background(), order.Status{}, nil)
		if err == nil {
			t.Errorf("answer %q: Do succeeded", answer)
		} else {
			t.Logf("answer %q: %v", answer, err)
		}
		c.Close()
		<-accepted
		ln.Close()
	}
}

// TestDoTooLong: an order whose line exceeds the server's limit gets the
// server's error (id "") as its answer, and the client goes on.
func TestDoTooLong(t *testing.T) {
	srv := start(t, fake, func(s *command.Server) { s.MaxLineBytes = 100 })
	c := dial(t, srv)
	long := order.AddCluster{Cluster: order.Cluster{ID: strings.Repeat("c", 100)}}
	resp, err := c.Do(context.Background(), long, nil)
	if err != nil || resp.Status != order.StatusError || resp.Message != "request line longer than 100 bytes; discarded" {
		t.Fatalf("Do: %+v %v", resp, err)
	}
	if resp, err := c.Do(context.Background(), order.Status{}, nil); err != nil || resp.Status != order.StatusOK {
		t.Fatalf("Do after: %+v %v", resp, err)
	}
}
