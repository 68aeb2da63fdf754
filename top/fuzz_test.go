package top

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// fuzzKeys are the keys FuzzKeys presses, one per input byte.
var fuzzKeys = []string{"q", "r", "e", "p", "c", "n", "/", "a", "s", "1", "enter", "esc", "backspace",
	"up", "down", "home", "end", "tab", "b", "left", "right", "j", "k", "h", "l", "g", "G", "x"}

// FuzzKeys: any sequence of keys, polls, failures and sizes leaves a
// screen of exactly the terminal's height, no line wider than it, and
// never panics.
func FuzzKeys(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint8(80), uint8(24))
	f.Add([]byte{6, 7, 10, 14, 10, 200, 201, 11}, uint8(40), uint8(8))
	f.Add([]byte{17, 10, 15, 12, 202, 203}, uint8(132), uint8(43))
	f.Fuzz(func(t *testing.T, seq []byte, w, h uint8) {
		width, height := max(int(w), 20), max(int(h), 6)
		m := New(fakeSource{}, Options{})
		next, _ := m.Update(tea.WindowSizeMsg{Width: width, Height: height})
		m = next.(Model)
		sec := 0.0
		for _, b := range seq {
			switch {
			case b >= 200 && b < 220: // a poll, its figures growing with b
				sec++
				m = m.sampled(sampleMsg{s: threeClusters(sec, int64(b-199)*int64(sec))})
			case b >= 220 && b < 230:
				m = m.sampled(sampleMsg{err: errTest})
			default:
				k := fuzzKeys[int(b)%len(fuzzKeys)]
				text := ""
				if len(k) == 1 {
					text = k
				}
				m = m.key(k, text)
			}
			screen := render(&m)
			lines := strings.Split(screen, "\n")
			if len(lines) != height {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), height, screen)
			}
			for _, l := range lines {
				if n := len(stripEscapes(l)); n > width {
					t.Fatalf("a line %d wide, want at most %d: %q", n, width, l)
				}
			}
		}
	})
}

var errTest = testErr("dial unix sluice.sock: connect: connection refused")

type testErr string

func (e testErr) Error() string { return string(e) }
