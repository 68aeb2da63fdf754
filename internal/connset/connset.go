// Package connset keeps the open connections of a listener, so that
// draining and hard stops can reach them: a set that refuses new members
// while it is closing. Its methods are safe for concurrent use.
package connset

import (
	"sync"
	"sync/atomic"
)

// Set is a set of open connections (of any comparable handle, a session
// pointer). The zero value is empty and open.
type Set[T comparable] struct {
	closing atomic.Bool
	mu      sync.Mutex
	m       map[T]struct{}
}

// Add adds c unless the set is closing; it reports whether it did.
func (s *Set[T]) Add(c T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.m == nil {
		s.m = map[T]struct{}{}
	}
	s.m[c] = struct{}{}
	return true
}

// Remove removes c.
func (s *Set[T]) Remove(c T) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
}

// Snapshot lists the members. Closing a member usually removes it, which
// takes the set's lock, so closers work on this copy.
func (s *Set[T]) Snapshot() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]T, 0, len(s.m))
	for c := range s.m {
		all = append(all, c)
	}
	return all
}

// Range calls f for each member, under the set's lock: f must be quick
// and must not call the set's methods (closing a member removes it; close
// after Range returns, or work on a Snapshot).
func (s *Set[T]) Range(f func(T)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		f(c)
	}
}

// Len is the number of members.
func (s *Set[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// SetClosing makes Add refuse (true) or accept (false) new members.
func (s *Set[T]) SetClosing(closing bool) { s.closing.Store(closing) }

// Closing reports whether Add refuses new members.
func (s *Set[T]) Closing() bool { return s.closing.Load() }
