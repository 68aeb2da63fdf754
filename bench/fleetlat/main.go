// Command fleetlat measures fleet mode in one process: an embedded etcd,
// N Sluice instances following it (package fleettest: each a proxy with
// its follower, on loopback sockets of its own), a Go origin.
//
// Phase 1, latency: -changes changes, one at a time, each moving the
// frontend "probe" to a new hostname; from the moment etcd's transaction
// returned (the commit) clients ask every instance for the new hostname
// until it is served, every 200 µs; the latency of a change on an
// instance is commit to first 200. 100 other frontends are in the
// configuration, as a fleet would have. Prints p50, p90, p99, max.
//
// Phase 2, outage (-outage > 0): clients send requests to every instance
// (-rate a second in all); etcd is cut (its connections and port: what a
// crash looks like) for -outage, started again, and a change is written at
// once; prints the requests and failures over the whole phase and how long
// after etcd's start each instance served the change.
//
// Bounded: every loop stops at its count or its deadline.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/internal/etcdtest"
	"github.com/sluiceproxy/sluice/internal/fleettest"
)

var (
	changes   = flag.Int("changes", 1000, "changes measured in phase 1")
	instances = flag.Int("instances", 3, "Sluice instances")
	outage    = flag.Duration("outage", 30*time.Second, "etcd's outage in phase 2 (0: no phase 2)")
	rate      = flag.Int("rate", 600, "requests a second during phase 2, over all instances")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

const prefix = "/bench/"

var layout = fleet.NewLayout(prefix)

func run() error {
	dir, err := os.MkdirTemp("", "fleetlat")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e, err := etcdtest.New(dir)
	if err != nil {
		return err
	}
	defer e.Stop()
	cli, err := fleet.Dial(fleet.ClientConfig{Endpoints: []string{e.Endpoint()}})
	if err != nil {
		return err
	}
	defer cli.Close()

	originLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go origin.Serve(originLn)
	defer origin.Close()
	sharedLn, err := net.Listen("tcp", "127.0.0.1:0") // held: the instances use sockets of their own
	if err != nil {
		return err
	}
	defer sharedLn.Close()
	shared := sharedLn.Addr().String()

	base := map[string]string{
		layout.Key(fleet.Listeners, shared): `{"protocol":"http","active":true}`,
		layout.Key(fleet.Clusters, "a"):     `{}`,
		layout.Key(fleet.Backends, "a/a1"):  fmt.Sprintf(`{"address":%q}`, originLn.Addr()),
		layout.Key(fleet.Frontends, "www"):  fmt.Sprintf(`{"address":%q,"hostname":"www.bench","cluster_id":"a"}`, shared),
	}
	for i := range 100 {
		base[layout.Key(fleet.Frontends, fmt.Sprintf("f%d", i))] = fmt.Sprintf(
			`{"address":%q,"hostname":"f%d.bench","cluster_id":"a"}`, shared, i)
	}
	rev, err := txn(cli, base)
	if err != nil {
		return err
	}
	var ins []*fleettest.Instance
	for i := range *instances {
		in, err := fleettest.Start(fleettest.Options{Endpoint: e.Endpoint(), Prefix: prefix, ID: fmt.Sprintf("b%d", i+1),
			Listen: []string{shared}})
		if err != nil {
			return err
		}
		defer in.Stop()
		ins = append(ins, in)
	}
	for _, in := range ins {
		if err := in.WaitRevision(rev, 20*time.Second); err != nil {
			return err
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}

	// Phase 1.
	var lat []time.Duration
	start := time.Now()
	for i := range *changes {
		host := fmt.Sprintf("p%d.bench", i)
		committed := time.Now()
		if _, err := txn(cli, map[string]string{layout.Key(fleet.Frontends, "probe"): fmt.Sprintf(
			`{"address":%q,"hostname":%q,"cluster_id":"a"}`, shared, host)}); err != nil {
			return err
		}
		committed = time.Now() // the transaction's answer: committed
		var wg sync.WaitGroup
		got := make([]time.Duration, len(ins))
		for k, in := range ins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				addr := in.Addr(shared)
				for deadline := committed.Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
					if ask(client, addr, host) == 200 {
						got[k] = time.Since(committed)
						return
					}
				}
				got[k] = -1
			}()
		}
		wg.Wait()
		for _, d := range got {
			if d < 0 {
				return fmt.Errorf("change %d not served within 10 s", i)
			}
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("phase 1: %d changes x %d instances in %.1f s: commit to served p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		*changes, len(ins), time.Since(start).Seconds(), ms(q(0.50)), ms(q(0.90)), ms(q(0.99)), ms(lat[len(lat)-1]))
	if *outage <= 0 {
		return nil
	}

	// Phase 2.
	var sent, failed atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	every := time.Second * time.Duration(len(ins)) / time.Duration(max(1, *rate))
	for _, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			deadline := time.Now().Add(*outage + time.Minute)
			for time.Now().Before(deadline) {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				sent.Add(1)
				if ask(client, in.Addr(shared), "www.bench") != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	e.Stop()
	fmt.Printf("phase 2: etcd cut for %v under %d requests a second\n", *outage, *rate)
	time.Sleep(*outage)
	if err := e.Start(); err != nil {
		return err
	}
	back := time.Now()
	rev, err = txn(cli, map[string]string{layout.Key(fleet.Frontends, "after"): fmt.Sprintf(
		`{"address":%q,"hostname":"after.bench","cluster_id":"a"}`, shared)})
	if err != nil {
		return err
	}
	written := time.Since(back)
	for _, in := range ins {
		for deadline := back.Add(20 * time.Second); ask(client, in.Addr(shared), "after.bench") != 200; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				return fmt.Errorf("instance %s: the change after the outage is not served after 20 s", in.ID)
			}
		}
		fmt.Printf("  instance %s served the change %.0f ms after etcd started (etcd took the write after %.0f ms); outages counted %d\n",
			in.ID, ms(time.Since(back)), ms(written), in.Follower.Status().Outages)
	}
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	fmt.Printf("  %d requests during the phase, %d failed\n", sent.Load(), failed.Load())
	return nil
}

func ask(c *http.Client, addr, host string) int {
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func txn(cli *clientv3.Client, kvs map[string]string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ops []clientv3.Op
	for k, v := range kvs {
		ops = append(ops, clientv3.OpPut(k, v))
	}
	resp, err := cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
