package state

import (
	"hash/maphash"
	"maps"
)

// A pmap is a two-level table of 64 × 64 leaf maps, chosen by the top
// bits of the key's hash. An update copies the root (64 pointers), one
// middle table (64 pointers) and one leaf, a 4096th of the map: with 100 000
// frontends an order copies about 25 entries and 1 KiB of pointers.
const (
	levelBits = 6
	fanout    = 1 << levelBits
)

var seed = maphash.MakeSeed()

// pmap is a persistent map: with and without return a new map and leave
// the receiver as it was, so that every State value stays valid after the
// next is made. Versions share their tables and leaves; none is written
// once a pmap holds it. The zero pmap is empty.
type pmap[K comparable, V any] struct {
	root *[fanout]*[fanout]map[K]V
	n    int
}

// slot returns the indexes of k's middle table and leaf.
func slot[K comparable](k K) (i, j int) {
	h := maphash.Comparable(seed, k)
	return int(h >> (64 - levelBits)), int(h>>(64-2*levelBits)) & (fanout - 1)
}

func (m pmap[K, V]) leaf(k K) map[K]V {
	if m.root == nil {
		return nil
	}
	i, j := slot(k)
	if mid := m.root[i]; mid != nil {
		return mid[j]
	}
	return nil
}

func (m pmap[K, V]) get(k K) (V, bool) {
	v, ok := m.leaf(k)[k]
	return v, ok
}

func (m pmap[K, V]) has(k K) bool {
	_, ok := m.get(k)
	return ok
}

func (m pmap[K, V]) len() int { return m.n }

// put returns m with k's leaf replaced by leaf and the count by n.
func (m pmap[K, V]) put(k K, leaf map[K]V, n int) pmap[K, V] {
	root := new([fanout]*[fanout]map[K]V)
	if m.root != nil {
		*root = *m.root
	}
	i, j := slot(k)
	mid := new([fanout]map[K]V)
	if root[i] != nil {
		*mid = *root[i]
	}
	mid[j] = leaf
	root[i] = mid
	return pmap[K, V]{root: root, n: n}
}

// with returns m with k set to v.
func (m pmap[K, V]) with(k K, v V) pmap[K, V] {
	old := m.leaf(k)
	leaf := make(map[K]V, len(old)+1)
	maps.Copy(leaf, old)
	_, existed := leaf[k]
	leaf[k] = v
	n := m.n
	if !existed {
		n++
	}
	return m.put(k, leaf, n)
}

// without returns m without k.
func (m pmap[K, V]) without(k K) pmap[K, V] {
	if !m.has(k) {
		return m
	}
	leaf := maps.Clone(m.leaf(k))
	delete(leaf, k)
	return m.put(k, leaf, m.n-1)
}

// all yields every entry, in no particular order.
func (m pmap[K, V]) all(yield func(K, V) bool) {
	if m.root == nil {
		return
	}
	for _, mid := range m.root {
		if mid == nil {
			continue
		}
		for _, leaf := range mid {
			for k, v := range leaf {
				if !yield(k, v) {
					return
				}
			}
		}
	}
}
