package command_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// TestManyClients: 50 connections at once, each pipelining 20 orders; every
// answer carries its request's id and the handler's echo of the order.
func TestManyClients(t *testing.T) {
	var served atomic.Int64
	srv := start(t, func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
		served.Add(1)
		rb := o.(order.RemoveBackend)
		if rb.ID[len(rb.ID)-1] == '0' {
			progress("half way", nil) // some answers come with progress
		}
		return order.Response{Status: order.StatusOK, Message: rb.ClusterID + "/" + rb.ID}
	})
	const clients, orders = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			conn, err := net.Dial("unix", srv.Path())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			var b strings.Builder
			for i := range orders {
				fmt.Fprintf(&b, `{"id":"c%d-o%d","kind":"remove_backend","order":{"cluster_id":"c%d","id":"b%d"}}`+"\n", c, i, c, i)
			}
			conn.SetDeadline(time.Now().Add(wait))
			if _, err := conn.Write([]byte(b.String())); err != nil {
				errs <- err
				return
			}
			next := func() order.Response {
				var resp order.Response
				line, err := r.ReadBytes('\n')
				if err == nil {
					err = json.Unmarshal(line, &resp)
				}
				if err != nil {
					resp.Message = err.Error()
				}
				return resp
			}
			for i := range orders {
				want := order.Response{ID: fmt.Sprintf("c%d-o%d", c, i), Status: order.StatusOK, Message: fmt.Sprintf("c%d/b%d", c, i)}
				got := next()
				if got.Status == order.StatusProcessing && got.ID == want.ID && i%10 == 0 {
					got = next()
				}
				if got.ID != want.ID || got.Status != want.Status || got.Message != want.Message || got.Content != nil {
					errs <- fmt.Errorf("client %d order %d: got %+v want %+v", c, i, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := served.Load(); n != clients*orders {
		t.Errorf("handler ran %d times, want %d", n, clients*orders)
	}
}

// TestManyClientsDo: the same load through Client.Do, which checks ids.
func TestManyClientsDo(t *testing.T) {
	srv := start(t, fake)
	var wg sync.WaitGroup
	errs := make(chan error, 50*20)
	for c := range 50 {
		wg.Go(func() {
			cl, err := command.Dial(srv.Path())
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for i := range 20 {
				resp, err := cl.Do(context.Background(), order.RemoveBackend{ClusterID: fmt.Sprint("c", c), ID: fmt.Sprint("b", i)}, nil)
				if err != nil {
					errs <- err
					return
				}
				if want := fmt.Sprintf("c%d/b%d", c, i); resp.Status != order.StatusOK || resp.Message != want {
					errs <- fmt.Errorf("got %+v, want ok %s", resp, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
