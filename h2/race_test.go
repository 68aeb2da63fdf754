//go:build race

package h2

// raceEnabled: the race detector allocates on its own, so allocation counts
// are only checked without it.
const raceEnabled = true
