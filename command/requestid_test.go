package command_test

import (
	"context"
	"testing"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// TestRequestID: a handler finds the id its client gave the request in its
// context ("" when there was none); so do the Go client's ids.
func TestRequestID(t *testing.T) {
	srv := start(t, func(ctx context.Context, o order.Order, _ command.Progress) order.Response {
		return order.Response{Status: order.StatusOK, Message: "saw " + command.RequestID(ctx)}
	})
	r := dialRaw(t, srv)
	r.send(`{"id":"x-7","kind":"status"}` + "\n" + `{"kind":"status"}` + "\n")
	if got := r.resp(); got.ID != "x-7" || got.Message != "saw x-7" {
		t.Errorf("with an id: %+v", got)
	}
	if got := r.resp(); got.ID != "" || got.Message != "saw " {
		t.Errorf("without an id: %+v", got)
	}
	c := dial(t, srv)
	resp, err := c.Do(context.Background(), order.Status{}, nil)
	if err != nil || resp.Message != "saw "+resp.ID || resp.ID == "" {
		t.Errorf("Go client: %+v %v", resp, err)
	}
	if command.RequestID(context.Background()) != "" {
		t.Error("an id outside a handler")
	}
}
