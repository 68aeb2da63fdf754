package proxy

import (
	"fmt"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// reload makes the running configuration equal to the target's (see
// order.Reload): the target is built apart from nothing, all or nothing,
// with the running state's clock; the difference is applied as one batch.
// The answer lists the batch; a dry run applies nothing.
func (p *proxy) reload(o order.Reload, id string) (*order.Content, error) {
	orders := make([]order.Order, len(o.Target))
	for i, r := range o.Target {
		orders[i] = r.Order
	}
	target, _, err := state.New().ApplyAll(orders)
	if err != nil {
		return nil, fmt.Errorf("reload: the target configuration: %w", err)
	}
	diff := state.Diff(p.state, target)
	c := &order.Content{Orders: order.Requests(diff)}
	if o.DryRun || len(diff) == 0 {
		return c, nil
	}
	if err := p.applyAll(diff); err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	p.batchApplied(order.ConfigReloaded, id, diff)
	return c, nil
}

// batchApplied tells the event subscribers of each order of a batch, then
// of the batch (kind).
func (p *proxy) batchApplied(kind order.EventKind, id string, orders []order.Order) {
	for _, o := range orders {
		p.changed(id, o)
	}
	p.events.publish(order.Event{Kind: kind, Time: eventTime(), RequestID: id, Count: len(orders)})
}

// eventTime is now as events write it.
func eventTime() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") }
