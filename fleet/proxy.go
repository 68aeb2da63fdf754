package fleet

import (
	"context"
	"errors"
	"strconv"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// ProxyApply applies a revision's configuration to the proxy behind c as
// a reload (id "fleet-REV"): the proxy applies state.Diff(running,
// target) as one batch, all or nothing, and publishes config_changed and
// config_reloaded events for it.
func ProxyApply(c *proxy.Client) Apply {
	return func(ctx context.Context, rev int64, orders []order.Order) error {
		resp, err := c.DoRequest(ctx, order.Request{ID: "fleet-" + strconv.FormatInt(rev, 10),
			Order: order.Reload{Target: order.Requests(orders)}})
		if err != nil {
			return err
		}
		if resp.Status == order.StatusError {
			return errors.New(resp.Message)
		}
		return nil
	}
}
