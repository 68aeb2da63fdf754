package state

import (
	"hash/maphash"
	"maps"
)

// shardBits sets the number of shards of a pmap: 64. An update copies the
// table of shard pointers (512 bytes) and one shard, a 64th of the map:
// with 100 000 frontends an order copies about 1 500 entries.
const (
	shardBits = 6
	nShards   = 1 << shardBits
)

var seed = maphash.MakeSeed()

// pmap is a persistent map: with and without return a new map and leave
// the receiver as it was, so that every State value stays valid after the
// next is made. Versions share their shards; a shard is never written
// once a pmap holds it. The zero pmap is empty.
type pmap[K comparable, V any] struct {
	shards *[nShards]map[K]V
	n      int
}

func shardOf[K comparable](k K) int {
	return int(maphash.Comparable(seed, k) >> (64 - shardBits))
}

func (m pmap[K, V]) get(k K) (V, bool) {
	if m.shards == nil {
		var zero V
		return zero, false
	}
	v, ok := m.shards[shardOf(k)][k]
	return v, ok
}

func (m pmap[K, V]) has(k K) bool {
	_, ok := m.get(k)
	return ok
}

func (m pmap[K, V]) len() int { return m.n }

// with returns m with k set to v.
func (m pmap[K, V]) with(k K, v V) pmap[K, V] {
	t := new([nShards]map[K]V)
	if m.shards != nil {
		*t = *m.shards
	}
	i := shardOf(k)
	sh := make(map[K]V, len(t[i])+1)
	maps.Copy(sh, t[i])
	_, existed := sh[k]
	sh[k] = v
	t[i] = sh
	n := m.n
	if !existed {
		n++
	}
	return pmap[K, V]{shards: t, n: n}
}

// without returns m without k.
func (m pmap[K, V]) without(k K) pmap[K, V] {
	if !m.has(k) {
		return m
	}
	t := new([nShards]map[K]V)
	*t = *m.shards
	i := shardOf(k)
	sh := maps.Clone(t[i])
	delete(sh, k)
	t[i] = sh
	return pmap[K, V]{shards: t, n: m.n - 1}
}

// all yields every entry, in no particular order.
func (m pmap[K, V]) all(yield func(K, V) bool) {
	if m.shards == nil {
		return
	}
	for _, sh := range m.shards {
		for k, v := range sh {
			if !yield(k, v) {
				return
			}
		}
	}
}
