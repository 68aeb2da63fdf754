// Package fleettest runs Sluice instances in fleet mode inside one process,
// for tests and benches: each is a proxy (package proxy) with a follower
// and a registrar of package fleet, and its own loopback sockets standing
// for the fleet's shared listener addresses, so that several instances in
// one process serve one configuration.
package fleettest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/proxy"
)

// Options describe one instance.
type Options struct {
	Endpoint string // etcd's client URL
	// Etcd, when set, is how to reach etcd instead of Endpoint alone (TLS,
	// a user), as [provider.etcd] gives it; its Prefix and InstanceID
	// are not used (Prefix and ID are).
	Etcd   *fleet.ClientConfig
	Prefix string
	ID     string
	// Listen are the listener addresses of the fleet's configuration this
	// instance serves on sockets of its own (see Instance.Addr).
	Listen []string
	Logger *slog.Logger // nil: none
	// NoRegister leaves the instance out of PREFIX/instances/.
	NoRegister bool
}

// Instance is one running instance.
type Instance struct {
	ID        string
	Client    *proxy.Client
	Follower  *fleet.Follower
	Etcd      *clientv3.Client
	addrs     map[string]string
	socks     *listener.Sockets
	cancel    context.CancelFunc
	stopProxy context.CancelFunc
	wg        sync.WaitGroup
	proxyErr  chan error
	stopOnce  sync.Once
	stopErr   error
}

// Start starts an instance; Stop ends it.
func Start(o Options) (*Instance, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	in := &Instance{ID: o.ID, addrs: map[string]string{}, socks: &listener.Sockets{}, proxyErr: make(chan error, 1)}
	for _, shared := range o.Listen {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		f, err := ln.(*net.TCPListener).File()
		in.addrs[shared] = ln.Addr().String()
		ln.Close()
		if err != nil {
			return nil, err
		}
		if err := in.socks.Inherit(listener.Socket{Address: shared}, f); err != nil {
			return nil, err
		}
	}
	cc := fleet.ClientConfig{Endpoints: []string{o.Endpoint}}
	if o.Etcd != nil {
		cc = *o.Etcd
	}
	cli, err := fleet.Dial(cc)
	if err != nil {
		in.socks.Unclaimed()
		return nil, err
	}
	in.Etcd = cli
	client, end := proxy.NewChannel(64)
	in.Client = client
	pctx, stopProxy := context.WithCancel(context.Background())
	in.stopProxy = stopProxy
	go func() { in.proxyErr <- proxy.Run(pctx, proxy.Config{Logger: o.Logger, Sockets: in.socks}, end) }()
	layout := fleet.NewLayout(o.Prefix)
	in.Follower = fleet.NewFollower(fleet.FollowerConfig{Client: cli, Layout: layout, Apply: fleet.ProxyApply(client),
		Logger: o.Logger, Event: client.Publish, Diagnose: cc.Diagnose})
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		in.Follower.Run(ctx)
	}()
	if !o.NoRegister {
		in.wg.Add(1)
		go func() {
			defer in.wg.Done()
			fleet.Register(ctx, fleet.RegistrarConfig{Client: cli, Layout: layout, ID: o.ID, Version: "test",
				Status: in.Follower.Status, Logger: o.Logger})
		}()
	}
	return in, nil
}

// Addr is the real address this instance serves the fleet's listener
// address shared on.
func (in *Instance) Addr(shared string) string { return in.addrs[shared] }

// WaitRevision waits until the instance serves revision rev or a later
// one, or d passes.
func (in *Instance) WaitRevision(rev int64, d time.Duration) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		ch := in.Follower.Changed()
		st := in.Follower.Status()
		if st.Revision >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("instance %s: serves revision %d (seen %d, error %q), not %d after %s",
				in.ID, st.Revision, st.Seen, st.Error, rev, d)
		}
	}
}

// Stop stops the follower and registrar, then the proxy, and closes the
// etcd client; it returns the proxy's error. Calls after the first
// return the same.
func (in *Instance) Stop() error {
	in.stopOnce.Do(func() {
		in.cancel()
		in.wg.Wait()
		in.stopProxy()
		in.stopErr = <-in.proxyErr
		in.Etcd.Close()
		in.socks.Unclaimed()
	})
	return in.stopErr
}
