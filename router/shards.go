package router

import "hash/maphash"

// The host index is split into dirSize*shardsPerDir shards so that a change
// copies one small shard and two small arrays instead of the whole index.
const (
	dirBits      = 6
	shardBits    = 6
	dirSize      = 1 << dirBits   // directories in the top array
	shardsPerDir = 1 << shardBits // shards per directory
)

// seed is the per-process seed of the index hash. Hashes are internal, so
// tables need not agree across processes.
var seed = maphash.MakeSeed()

// hostIndex is an immutable hash map from a normalised name to that name's
// rules. Its zero value is empty. No method modifies what an index
// reaches: with returns a new index sharing everything it did not touch.
//
// Layout: a hash picks one of dirSize directories (low bits) and one of
// its shardsPerDir shards (next bits). A shard is a small open-addressing
// table (linear probing, load factor at most 1/2, probed from the hash's
// high bits) of (hash, *hostRules) slots, rebuilt whole when it changes.
// Compared with a Go map per shard this saves two or three dependent
// memory loads per probe, which dominate lookups in big tables.
type hostIndex[T any] struct {
	dir   *[dirSize]*shardDir[T]
	hosts int // names in the index
}

// shardDir is one directory of shards.
type shardDir[T any] [shardsPerDir]shard[T]

// shard is an open-addressing table; len(slots) is 0 or a power of two.
type shard[T any] []slot[T]

// slot is one entry of a shard; rules == nil marks an empty slot.
type slot[T any] struct {
	hash  uint64
	rules *hostRules[T]
}

// locate splits a hash into directory and shard numbers.
func locate(h uint64) (d, s int) {
	return int(h & (dirSize - 1)), int((h >> dirBits) & (shardsPerDir - 1))
}

// start returns the first probe position of hash h in a shard of n slots.
func start(h uint64, n int) int {
	return int(h>>32) & (n - 1)
}

// find returns the rules of name (whose hash is h) in the shard, or nil.
// It does not allocate.
func (sh shard[T]) find(h uint64, name []byte) *hostRules[T] {
	n := len(sh)
	if n == 0 {
		return nil
	}
	for i := start(h, n); ; i = (i + 1) & (n - 1) {
		s := &sh[i]
		if s.rules == nil {
			return nil
		}
		if s.hash == h && s.rules.is(name) {
			return s.rules
		}
	}
}

// get returns the rules of name, or nil. It does not allocate.
func (ix hostIndex[T]) get(name []byte) *hostRules[T] {
	if ix.dir == nil {
		return nil
	}
	h := maphash.Bytes(seed, name)
	d, s := locate(h)
	sd := ix.dir[d]
	if sd == nil {
		return nil
	}
	return sd[s].find(h, name)
}

// getString is get for a string name (maphash.String and maphash.Bytes
// agree on equal contents).
func (ix hostIndex[T]) getString(name string) *hostRules[T] {
	if ix.dir == nil {
		return nil
	}
	h := maphash.String(seed, name)
	d, s := locate(h)
	sd := ix.dir[d]
	if sd == nil {
		return nil
	}
	return sd[s].find(h, []byte(name))
}

// with returns an index where name maps to hr, or where name is absent if
// hr is nil (hr.name must be name). It copies the top array, one
// directory and one shard.
func (ix hostIndex[T]) with(name string, hr *hostRules[T]) hostIndex[T] {
	h := maphash.String(seed, name)
	d, s := locate(h)
	var dir [dirSize]*shardDir[T]
	if ix.dir != nil {
		dir = *ix.dir
	}
	var sd shardDir[T]
	if dir[d] != nil {
		sd = *dir[d]
	}
	// Collect the shard's other slots, then rebuild it.
	old := sd[s]
	had := false
	live := make([]slot[T], 0, len(old)/2+1)
	for _, sl := range old {
		if sl.rules == nil {
			continue
		}
		if sl.hash == h && sl.rules.name == name {
			had = true
			continue
		}
		live = append(live, sl)
	}
	if hr != nil {
		live = append(live, slot[T]{hash: h, rules: hr})
	}
	sd[s] = buildShard(live)
	dir[d] = &sd
	n := ix.hosts
	switch {
	case had && hr == nil:
		n--
	case !had && hr != nil:
		n++
	}
	if n == 0 {
		return hostIndex[T]{}
	}
	return hostIndex[T]{dir: &dir, hosts: n}
}

// buildShard returns a new shard holding slots, with at least twice as
// many positions as slots (nil for none).
func buildShard[T any](slots []slot[T]) shard[T] {
	if len(slots) == 0 {
		return nil
	}
	n := 2
	for n < 2*len(slots) {
		n <<= 1
	}
	sh := make(shard[T], n)
	for _, sl := range slots {
		i := start(sl.hash, n)
		for sh[i].rules != nil {
			i = (i + 1) & (n - 1)
		}
		sh[i] = sl
	}
	return sh
}

// each calls fn for every name's rules, in no particular order.
func (ix hostIndex[T]) each(fn func(*hostRules[T])) {
	if ix.dir == nil {
		return
	}
	for _, sd := range ix.dir {
		if sd == nil {
			continue
		}
		for _, sh := range sd {
			for _, sl := range sh {
				if sl.rules != nil {
					fn(sl.rules)
				}
			}
		}
	}
}
