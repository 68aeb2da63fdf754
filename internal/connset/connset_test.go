package connset

import (
	"sync"
	"testing"
)

func TestSet(t *testing.T) {
	var s Set[int]
	if !s.Add(1) || !s.Add(2) || s.Len() != 2 {
		t.Fatal("adding to an open set")
	}
	s.SetClosing(true)
	if !s.Add(3) || !s.Closing() || s.Len() != 3 {
		t.Fatal("a closing set refused a member (an accepted connection is served)")
	}
	s.Remove(3)
	if got := s.Stop(); len(got) != 2 || s.Add(5) || s.Len() != 2 {
		t.Fatalf("a stopped set: members %v, took a new one", got)
	}
	sum := 0
	s.Range(func(c int) { sum += c })
	if sum != 3 {
		t.Fatalf("Range saw members summing to %d; want 3", sum)
	}
	snap := s.Snapshot()
	for _, c := range snap {
		s.Remove(c) // removing while walking the copy
	}
	if s.Len() != 0 || len(snap) != 2 {
		t.Fatalf("after removal: %d left, snapshot %v", s.Len(), snap)
	}
	s.SetClosing(false)
	if !s.Add(4) {
		t.Fatal("reopened set refused a member")
	}
}

func TestSetConcurrent(t *testing.T) {
	var s Set[int]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				k := g*1000 + i
				s.Add(k)
				_ = s.Snapshot()
				s.Remove(k)
			}
		}()
	}
	wg.Wait()
	if s.Len() != 0 {
		t.Fatalf("%d left", s.Len())
	}
}
