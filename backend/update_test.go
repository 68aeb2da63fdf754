package backend

import (
	"context"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

// TestUpdate: Update puts a backend with the new configuration in the old
// one's place in one store. With the same address it inherits the health
// (a backend in backoff stays so) and the idle connections, and the old one
// retires without a drained event; with a new address the old one drains
// like a removed backend, with its event, once its last request ends.
func TestUpdate(t *testing.T) {
	fe := newFakeEnv()
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c"}}, fe.env())
	defer c.Close()
	addr, accepted := server(t)
	dead := closedAddr(t)
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "a", Address: addr, Weight: 100}, 4))
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "d", Address: dead, Weight: 100}, 4))
	a, d := c.Backends()[0], c.Backends()[1]
	conn, err := a.Dial(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	<-accepted
	a.PutIdle(conn, fe.now)
	if _, err := d.Dial(context.Background(), time.Second); err == nil {
		t.Fatal("dial of a closed port worked")
	}
	if d.Status() != health.Backoff {
		t.Fatalf("after a failed connect: %v", d.Status())
	}

	if !c.Update(order.Backend{ClusterID: "c", ID: "a", Address: addr, Weight: 7}, 4, nil) ||
		!c.Update(order.Backend{ClusterID: "c", ID: "d", Address: dead, Weight: 3, Backup: true}, 4, nil) {
		t.Fatal("Update did not find the backends")
	}
	na, nd := c.Backends()[0], c.Backends()[1]
	if na == a || na.Config.Weight != 7 || nd.Config.Weight != 3 || !nd.Config.Backup {
		t.Fatalf("after the updates: %+v %+v", na.Config, nd.Config)
	}
	if na.IdleCount() != 1 || a.IdleCount() != 0 {
		t.Errorf("idle connections: new %d, old %d; want them moved", na.IdleCount(), a.IdleCount())
	}
	if got := na.GetIdle(fe.now, time.Minute); got != conn || got.Backend != na {
		t.Errorf("the moved connection: %v", got)
	}
	if nd.Status() != health.Backoff {
		t.Errorf("the backend in backoff is %v after a weight change", nd.Status())
	}
	if got := fe.take(); len(got) != 0 {
		t.Errorf("events after updates that keep the address: %v", got)
	}

	other, _ := server(t)
	na.Acquire()
	c.Update(order.Backend{ClusterID: "c", ID: "a", Address: other, Weight: 7}, 4, nil)
	if got := fe.take(); len(got) != 0 {
		t.Fatalf("drained with a request left: %v", got)
	}
	na.Release()
	if got := fe.take(); !equal(got, []string{"backend_drained:a"}) {
		t.Fatalf("events after the old address's last request: %v", got)
	}
	if b := c.Backends()[0]; b.Addr != other || b.Status() != health.Up {
		t.Errorf("after the address change: %s %v", b.Addr, b.Status())
	}
	if c.Update(order.Backend{ClusterID: "c", ID: "zz", Address: other}, 4, nil) {
		t.Error("Update of a backend the cluster does not have")
	}
}
