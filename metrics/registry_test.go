package metrics

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestRegistryAddReturnsTheSameSet(t *testing.T) {
	r := NewRegistry()
	if r.AddListener("a:1") != r.AddListener("a:1") {
		t.Error("AddListener twice gave two sets")
	}
	if r.AddCluster("c") != r.AddCluster("c") {
		t.Error("AddCluster twice gave two sets")
	}
	if r.AddBackend("c", "b") != r.AddBackend("c", "b") {
		t.Error("AddBackend twice gave two sets")
	}
	if r.AddBackend("c", "b") == r.AddBackend("d", "b") {
		t.Error("backends b of clusters c and d share a set")
	}
	old := r.AddListener("a:1")
	r.RemoveListener("a:1")
	if r.AddListener("a:1") == old {
		t.Error("a removed then re-added listener got its old set")
	}
	r.RemoveListener("never added") // no effect, no panic
	r.RemoveBackend("c", "never added")
	r.RemoveCluster("never added")
}

func TestRemoveClusterRemovesItsBackends(t *testing.T) {
	r := NewRegistry()
	r.AddCluster("shop")
	r.AddBackend("shop", "1")
	r.AddBackend("shop", "2")
	r.AddBackend("shopping", "1")
	r.RemoveCluster("shop")
	_, cs, bs := r.contents()
	if len(cs) != 0 || len(bs) != 1 || bs[0].key != (BackendKey{"shopping", "1"}) {
		t.Errorf("after RemoveCluster(shop): clusters %v, backends %v; want none and shopping/1", cs, bs)
	}
}

// TestRegistryConcurrent counts, registers, unregisters and exports at once;
// with -race it checks that none of it races, and the counts of a set that
// stays registered are exact.
func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry()
	const workers, each = 4, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			l := r.AddListener("stay")
			for i := range each {
				l.Requests.Inc()
				churn := r.AddBackend("c", fmt.Sprint(w, "-", i%10))
				churn.Requests.Inc()
				if i%3 == 0 {
					r.RemoveBackend("c", fmt.Sprint(w, "-", i%10))
				}
			}
		})
	}
	h, err := r.Handler()
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		for range 20 {
			_ = r.Snapshot(Filter{})
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
		}
	})
	wg.Wait()
	if got := r.Snapshot(Filter{}).Listeners[0].Requests; got != workers*each {
		t.Errorf("requests = %d, want %d", got, workers*each)
	}
}
