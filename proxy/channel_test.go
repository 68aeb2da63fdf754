package proxy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestDoRequestSameIDs: concurrent requests that share an id (as relayed
// command-socket clients' do: every CLI process starts at cli-PID-1, and a
// hand-written client may send none) each get their own answer.
func TestDoRequestSameIDs(t *testing.T) {
	client, _ := startProxy(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			cluster := fmt.Sprintf("c-%d", i)
			r, err := client.DoRequest(context.Background(), order.Request{ID: "same", Order: order.ListBackends{ClusterID: cluster}})
			switch {
			case err != nil:
				errs <- err
			case r.ID != "same" || !strings.Contains(r.Message, `"`+cluster+`"`):
				errs <- fmt.Errorf("request for %s answered %+v", cluster, r)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestDoRequestCancelledBeforeSend: a request whose context ends before it
// could be sent leaves no waiter behind to take another's answer.
func TestDoRequestCancelledBeforeSend(t *testing.T) {
	client, end := NewChannel(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	client.Requests <- order.Request{ID: "filler", Order: order.Status{}} // the buffer is full: the next send blocks
	if _, err := client.DoRequest(ctx, order.Request{ID: "x", Order: order.Status{}}); err != context.Canceled {
		t.Fatalf("DoRequest with a done context: %v", err)
	}
	client.mu.Lock()
	n := len(client.waiters)
	client.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d waiters left", n)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, Config{}, end) }()
	r, err := client.DoRequest(context.Background(), order.Request{ID: "x", Order: order.Status{}})
	if err != nil || r.ID != "x" || r.Content == nil || r.Content.Status == nil {
		t.Fatalf("after a cancelled request with the same id: %+v %v", r, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := client.DoRequest(context.Background(), order.Request{ID: "y", Order: order.Status{}}); err != ErrStopped {
		t.Fatalf("after Run returned: %v, want ErrStopped", err)
	}
}
