// Package connset keeps the open connections of a listener, so that
// draining and hard stops can reach them: a set that says whether its
// listener is closing (draining), and refuses new members once stopped. Its methods are safe for concurrent use.
package connset

import (
	"sync"
	"sync/atomic"
)

// Set is a set of open connections (of any comparable handle, a session
// pointer). The zero value is empty and open.
type Set[T comparable] struct {
	closing atomic.Bool
	stopped bool // under mu
	mu      sync.Mutex
	m       map[T]struct{}
}

// Add adds c unless the set is stopped; it reports whether it did. A
// closing set still takes members: a connection accepted before its
// listener stopped accepting is served, and closes after its exchange
// (drains close connections between requests, never before the first).
func (s *Set[T]) Add(c T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
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

// SetClosing marks the set closing (a drain) or open again; open, it is
// no longer stopped either.
func (s *Set[T]) SetClosing(closing bool) {
	s.closing.Store(closing)
	if !closing {
		s.mu.Lock()
		s.stopped = false
		s.mu.Unlock()
	}
}

// Closing reports whether the set is closing.
func (s *Set[T]) Closing() bool { return s.closing.Load() }

// Stop makes Add refuse new members (a hard stop, which closes the
// members it finds: none may join after) and returns the members.
func (s *Set[T]) Stop() []T {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	return s.Snapshot()
}
