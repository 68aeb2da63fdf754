package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// follower is fleet mode ([provider.etcd]): the daemon's configuration is
// what etcd holds. It starts once the proxy serves its initial state (the
// saved state, when there is one: what served last, kept while etcd is
// unreachable at start) and stops before the proxy.
type follower struct {
	f      *fleet.Follower
	cli    *clientv3.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startFollower dials etcd (without waiting for it), starts the follower
// and the instance's registration, and shows the follower's status in
// the metrics. nil without [provider.etcd].
func (d *daemon) startFollower(obs *observers) (*follower, error) {
	c := d.cfg.Etcd
	if c == nil {
		return nil, nil
	}
	cli, err := fleet.Dial(*c)
	if err != nil {
		return nil, fmt.Errorf("provider.etcd: %w", err)
	}
	layout := fleet.NewLayout(c.Prefix)
	id := c.InstanceID
	if id == "" {
		host, _ := os.Hostname()
		id = host + ":" + d.cfg.CommandSocket
	}
	apply := fleet.ProxyApply(d.client)
	fw := &follower{cli: cli}
	fw.f = fleet.NewFollower(fleet.FollowerConfig{Client: cli, Layout: layout, Logger: d.log, Event: d.client.Publish,
		Diagnose: c.Diagnose,
		Apply: func(ctx context.Context, rev int64, orders []order.Order) error {
			// No order applies while an upgrade hands the state over, nor after.
			d.orders.RLock()
			defer d.orders.RUnlock()
			if d.successor.Load() != 0 {
				return errors.New("this process handed over to a new one")
			}
			return apply(ctx, rev, orders)
		}})
	if obs.metrics != nil {
		obs.metrics.SetFleet(func() metrics.Fleet { return metricsOf(fw.f.Status()) })
	}
	ctx, cancel := context.WithCancel(context.Background())
	fw.cancel = cancel
	fw.wg.Add(2)
	go func() {
		defer fw.wg.Done()
		fw.f.Run(ctx)
	}()
	go func() {
		defer fw.wg.Done()
		fleet.Register(ctx, fleet.RegistrarConfig{Client: cli, Layout: layout, ID: id, Version: proxy.Version,
			Status: fw.f.Status, Logger: d.log})
	}()
	d.log.Info("fleet mode: following etcd", "endpoints", c.Endpoints, "prefix", layout.Prefix, "instance", id)
	return fw, nil
}

// status adds the follower's status to a status answer.
func (fw *follower) status(resp *order.Response) {
	if fw == nil || resp.Content == nil || resp.Content.Status == nil {
		return
	}
	st := fw.f.Status()
	resp.Content.Status.Fleet = &st
}

// stop ends the follower and the registration (the instance's record is
// removed with its lease) and closes the client.
func (fw *follower) stop() {
	if fw == nil {
		return
	}
	fw.cancel()
	fw.wg.Wait()
	fw.cli.Close()
}

func metricsOf(st order.FleetStatus) metrics.Fleet {
	return metrics.Fleet{Connected: st.Connected, Revision: st.Revision, Seen: st.Seen, Applied: st.Applied,
		Refused: st.Refused, Resyncs: st.Resyncs, Outages: st.Outages}
}
