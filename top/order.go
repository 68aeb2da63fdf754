package top

import (
	"cmp"
	"slices"
	"strings"
)

// SortKey is a column rows can be sorted by.
type SortKey int

// The sort keys, with their keyboard letters in [Model].
const (
	ByRequests SortKey = iota // r: requests per second
	ByErrors                  // e: errors per second
	ByP99                     // p: 99th percentile
	ByActive                  // c: requests in flight (connections)
	ByName                    // n: cluster, then backend
)

var sortNames = [...]string{ByRequests: "req/s", ByErrors: "err/s", ByP99: "p99", ByActive: "active", ByName: "name"}

func (k SortKey) String() string { return sortNames[k] }

// sortRows orders rows by key, descending when desc; ties (and unknown
// figures, which sort as the lowest) go by name, so the order is stable
// from one poll to the next.
func sortRows(rows []Row, key SortKey, desc bool) {
	slices.SortStableFunc(rows, func(a, b Row) int {
		var c int
		switch key {
		case ByRequests:
			c = cmp.Compare(known(a.Rated, a.ReqRate), known(b.Rated, b.ReqRate))
		case ByErrors:
			c = cmp.Compare(known(a.Rated, a.ErrRate), known(b.Rated, b.ErrRate))
		case ByP99:
			c = cmp.Compare(known(a.HasP99, float64(a.P99)), known(b.HasP99, float64(b.P99)))
		case ByActive:
			c = cmp.Compare(a.Active, b.Active)
		case ByName:
			c = byKey(a, b)
		}
		if desc {
			c = -c
		}
		if c == 0 {
			c = byKey(a, b)
		}
		return c
	})
}

func known(ok bool, v float64) float64 {
	if !ok {
		return -1
	}
	return v
}

// matchRows keeps the rows whose key (cluster, or cluster/backend)
// contains sub, ignoring case; an empty sub keeps all. rows is reused.
func matchRows(rows []Row, sub string) []Row {
	if sub == "" {
		return rows
	}
	sub = strings.ToLower(sub)
	return slices.DeleteFunc(rows, func(r Row) bool {
		return !strings.Contains(strings.ToLower(r.Key()), sub)
	})
}
