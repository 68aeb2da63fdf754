package fleet

import (
	"fmt"
	"testing"
)

// BenchmarkBuild100: what a follower spends per revision on a fleet of 100
// frontends, before the proxy's reload.
func BenchmarkBuild100(b *testing.B) {
	kvs := goodKVs()
	for i := range 100 {
		kvs[fmt.Sprintf("/t/state/frontends/f%d", i)] = []byte(fmt.Sprintf(
			`{"address":"127.0.0.1:8080","hostname":"h%d.example.com","cluster_id":"shop"}`, i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(testLayout, kvs); err != nil {
			b.Fatal(err)
		}
	}
}
