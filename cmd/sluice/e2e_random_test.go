package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// TestRandomOrdersSurviveRestart (issue 14): after 1 000 random orders,
// valid and not, through the command socket, a soft stop and a start give
// exactly the same state dump, twice over. The orders add, update and
// remove listeners (inactive ones, which bind nothing), clusters,
// frontends and backends, with conflicts and references to what is gone.
func TestRandomOrdersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "saved_state = \"state.json\"\n")
	c, err := command.Dial(filepath.Join(dir, "sluice.sock"))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(14, 1000))
	g := &orderGen{r: r, front: d.front}
	applied := 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for range 1000 {
		resp, err := c.Do(ctx, g.next(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status == order.StatusOK {
			applied++
		}
	}
	c.Close()
	t.Logf("1000 random orders, %d applied", applied)
	if applied < 300 || applied > 900 {
		t.Errorf("%d of 1000 orders applied: the generator should mix valid and refused ones", applied)
	}
	dump := func() string {
		out, errOut, code := cli(t, dir, "-s", "sluice.sock", "state", "dump", "--with-keys")
		if code != 0 {
			t.Fatalf("dump: %d %s", code, errOut)
		}
		return out
	}
	before := dump()
	for round := range 2 {
		if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "shutdown"); code != 0 {
			t.Fatalf("shutdown: %d %s", code, errOut)
		}
		if code := d.wait(t); code != 0 {
			t.Fatalf("exit %d\n%s", code, d.stderr)
		}
		d = start(t, dir, "127.0.0.1:9", "saved_state = \"state.json\"\n", d.front)
		if after := dump(); after != before {
			t.Fatalf("restart %d: the state differs:\nbefore %s\nafter  %s", round+1, before, after)
		}
	}
}

// orderGen makes random orders over a small space of names, so that they
// meet: adds of what exists (the same or not), updates and removes of what
// may be gone.
type orderGen struct {
	r     *rand.Rand
	front string // the http listener's address
}

func (g *orderGen) pick(n int) int { return g.r.IntN(n) }

func (g *orderGen) cluster() string { return fmt.Sprintf("c%d", g.pick(6)) }

func (g *orderGen) listener() string { return fmt.Sprintf("127.0.0.1:%d", 40000+g.pick(4)) }

func (g *orderGen) next() order.Order {
	lbs := []order.LoadBalancing{order.RoundRobin, order.Random, order.LeastLoaded, order.PowerOfTwo}
	switch g.pick(15) {
	case 0:
		return order.AddCluster{Cluster: order.Cluster{ID: g.cluster(), LoadBalancing: lbs[g.pick(4)],
			StickySession: g.pick(2) == 0}}
	case 1:
		return order.UpdateCluster{ID: g.cluster(), HTTPSRedirect: order.Some(g.pick(2) == 0),
			Answers: order.Some(map[string]string{"503": fmt.Sprintf("<p>down %d</p>", g.pick(3))})}
	case 2:
		return order.RemoveCluster{ID: g.cluster()}
	case 3, 4:
		return order.AddBackend{Backend: order.Backend{ClusterID: g.cluster(), ID: fmt.Sprintf("b%d", g.pick(5)),
			Address: fmt.Sprintf("127.0.0.%d:%d", 1+g.pick(3), 3000+g.pick(3)), Weight: 1 + g.pick(300)}}
	case 5:
		return order.UpdateBackend{ClusterID: g.cluster(), ID: fmt.Sprintf("b%d", g.pick(5)),
			Weight: order.Some(1 + g.pick(1000)), Backup: order.Some(g.pick(3) == 0)}
	case 6:
		return order.RemoveBackend{ClusterID: g.cluster(), ID: fmt.Sprintf("b%d", g.pick(5))}
	case 7, 8:
		return order.AddHTTPFrontend{HTTPFrontend: g.frontend(true)}
	case 9:
		return order.UpdateHTTPFrontend{HTTPFrontend: g.frontend(true)}
	case 10:
		return order.RemoveHTTPFrontend{HTTPFrontend: g.frontend(false)}
	case 11:
		return order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: g.listener(),
			FrontTimeout: order.Duration(time.Duration(1+g.pick(60)) * time.Second)}}
	case 12:
		return order.UpdateListener{Address: g.listener(), RequestTimeout: order.Some(order.Duration(time.Duration(1+g.pick(9)) * time.Second)),
			StickyName: order.Some(fmt.Sprintf("S%d", g.pick(3)))}
	case 13:
		return order.RemoveListener{Address: g.listener()}
	default: // invalid on its face
		return order.AddBackend{Backend: order.Backend{ClusterID: g.cluster(), ID: "bad", Address: "127.0.0.1:0", Weight: 5000}}
	}
}

// frontend is a frontend on the http listener or one of the others.
func (g *orderGen) frontend(target bool) order.HTTPFrontend {
	addr := g.front
	if g.pick(3) == 0 {
		addr = g.listener()
	}
	f := order.HTTPFrontend{Address: addr, Hostname: fmt.Sprintf("h%d.test", g.pick(5)), Path: []string{"", "/a", "/b"}[g.pick(3)]}
	if target {
		if g.pick(5) == 0 {
			f.Deny = true
		} else {
			f.ClusterID = g.cluster()
		}
	}
	return f
}
