package top

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sluiceproxy/sluice/order"
)

// fakeSource answers from a list; Update is driven by hand in these tests,
// so Fetch is never called.
type fakeSource struct{}

func (fakeSource) Fetch() (Sample, error) { return Sample{}, errors.New("not in this test") }

// three clusters: api (busy), shop (errors), db (slow, many active).
func threeClusters(sec float64, n int64) Sample {
	c := func(id string, req, errs int64, slow time.Duration) order.ClusterMetrics {
		return order.ClusterMetrics{ClusterID: id, Requests: req, Responses: order.StatusClasses{ServerError: errs}, RequestTime: hist(slow, req)}
	}
	return Sample{
		Time:   t0.Add(time.Duration(sec * float64(time.Second))),
		Status: order.ProxyStatus{PID: 7, Requests: 111 * n, UptimeSeconds: 3600},
		Metrics: &order.MetricsContent{Clusters: []order.ClusterMetrics{
			c("api", 100*n, 0, time.Millisecond), c("shop", 10*n, 5*n, 5*time.Millisecond), c("db", n, 0, time.Second),
		}, BucketBoundsMs: bounds()},
		Backends: []order.BackendStatus{
			{Backend: order.Backend{ClusterID: "api", ID: "api-1", Address: "10.0.0.1:80", Weight: 100}, Health: "up"},
			{Backend: order.Backend{ClusterID: "db", ID: "db-1", Address: "10.0.0.2:5432", Weight: 100}, Health: "up", InFlight: 9},
			{Backend: order.Backend{ClusterID: "shop", ID: "shop-1", Address: "10.0.0.3:80", Weight: 100}, Health: "up"},
			{Backend: order.Backend{ClusterID: "shop", ID: "shop-2", Address: "10.0.0.4:80", Weight: 20}, Health: "down"},
		},
	}
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		text := ""
		if len(k) == 1 {
			text = k
		}
		m = m.key(k, text)
	}
	return m
}

func shown(m Model) string {
	var s []string
	for _, r := range m.Rows() {
		s = append(s, r.Key())
	}
	return strings.Join(s, " ")
}

func polled(t *testing.T) Model {
	t.Helper()
	m := New(fakeSource{}, Options{})
	m = m.sampled(sampleMsg{s: threeClusters(0, 1)})
	m = m.sampled(sampleMsg{s: threeClusters(1, 2)})
	return m
}

func TestKeys(t *testing.T) {
	for _, c := range []struct {
		keys []string
		want string // rows shown
		mode Mode
	}{
		{nil, "api shop db", Clusters}, // by req/s, descending
		{[]string{"r"}, "db shop api", Clusters},
		{[]string{"e"}, "shop api db", Clusters},
		{[]string{"p"}, "db shop api", Clusters},
		{[]string{"c"}, "db api shop", Clusters},
		{[]string{"n"}, "api db shop", Clusters},
		{[]string{"n", "n"}, "shop db api", Clusters},
		{[]string{"/", "s", "h"}, "shop", Clusters},
		{[]string{"/", "S", "H", "enter"}, "shop", Clusters}, // case does not matter
		{[]string{"/", "s", "h", "backspace", "backspace", "d", "enter"}, "db", Clusters},
		{[]string{"/", "s", "esc"}, "api shop db", Clusters},
		{[]string{"/", "z", "enter", "esc"}, "api shop db", Clusters}, // esc clears a kept filter
		{[]string{"/", "q"}, "", Clusters},                            // q is typed, not quit
		{[]string{"down", "enter"}, "shop/shop-1 shop/shop-2", Drill},
		{[]string{"j", "j", "k", "enter", "n"}, "shop/shop-1 shop/shop-2", Drill},
		{[]string{"down", "enter", "esc"}, "api shop db", Clusters},
		{[]string{"down", "enter", "/", "2", "enter"}, "shop/shop-2", Drill},
		{[]string{"b"}, "api/api-1 db/db-1 shop/shop-1 shop/shop-2", Backends},
		{[]string{"b", "c"}, "db/db-1 api/api-1 shop/shop-1 shop/shop-2", Backends},
		{[]string{"b", "/", "shop", "enter"}, "shop/shop-1 shop/shop-2", Backends},
		{[]string{"b", "end", "enter"}, "shop/shop-1 shop/shop-2", Drill},
		{[]string{"tab", "tab"}, "api shop db", Clusters},
		{[]string{"up", "up", "enter"}, "api/api-1", Drill},
	} {
		m := polled(t)
		var keys []string
		for _, k := range c.keys {
			if k == "shop" {
				keys = append(keys, "s", "h", "o", "p")
			} else {
				keys = append(keys, k)
			}
		}
		m = press(m, keys...)
		if got := shown(m); got != c.want || m.mode != c.mode {
			t.Errorf("keys %v: rows %q mode %d, want %q mode %d", c.keys, got, m.mode, c.want, c.mode)
		}
		if m.quit {
			t.Errorf("keys %v quit", c.keys)
		}
	}
	for _, k := range [][]string{{"q"}, {"ctrl+c"}, {"/", "ctrl+c"}} {
		if m := press(polled(t), k...); !m.quit {
			t.Errorf("%v does not quit", k)
		}
	}
	// Through Update, as bubbletea delivers them.
	m := polled(t)
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"})
	if cmd == nil {
		t.Fatal("q: no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q: not tea.Quit")
	}
}

// TestSelectionFollowsItsRow: the selection is a row, not a position: when
// the order changes from one poll to the next, it stays on its cluster.
func TestSelectionFollowsItsRow(t *testing.T) {
	m := press(polled(t), "down") // shop
	s := threeClusters(2, 3)
	s.Metrics.Clusters[1].Requests = 10_000 // shop is now the busiest
	m = m.sampled(sampleMsg{s: s})
	if shown(m) != "shop api db" || m.sel != "shop" {
		t.Fatalf("rows %q selected %q", shown(m), m.sel)
	}
	if m = press(m, "enter"); m.drill != "shop" {
		t.Errorf("drilled into %q", m.drill)
	}
}

// TestDisconnected: a failed poll keeps the last rows, says so, and
// schedules the next poll; the next answer starts the rates afresh.
func TestDisconnected(t *testing.T) {
	m := polled(t)
	next, cmd := m.Update(sampleMsg{err: errors.New("command: cannot reach the command socket: dial unix sluice.sock: connect: no such file or directory")})
	m = next.(Model)
	if cmd == nil {
		t.Fatal("no retry scheduled")
	}
	screen := render(&m)
	if !strings.Contains(screen, "DISCONNECTED: dial unix sluice.sock: connect: no such file or directory") ||
		!strings.Contains(screen, "(stale)  pid 7") || !strings.Contains(screen, "retrying every 1s") || !strings.Contains(screen, "shop") {
		t.Fatalf("screen:\n%s", screen)
	}
	m = m.sampled(sampleMsg{s: threeClusters(5, 9)})
	if !m.connected || m.table.Rated || strings.Contains(render(&m), "DISCONNECTED") {
		t.Errorf("after reconnecting: connected %v rated %v", m.connected, m.table.Rated)
	}
	// Another process on the socket (an upgrade): rates start afresh too.
	m = m.sampled(sampleMsg{s: threeClusters(6, 10)})
	s := threeClusters(7, 1)
	s.Status.PID = 8
	if m = m.sampled(sampleMsg{s: s}); m.table.Rated {
		t.Error("rates across two processes")
	}
}

// TestScreenFits: every screen fits 80×24 (and a smaller one), with many
// rows scrolled to keep the selection in sight.
func TestScreenFits(t *testing.T) {
	many := threeClusters(1, 2)
	for i := range 40 {
		id := "cluster-with-a-rather-long-name-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		many.Metrics.Clusters = append(many.Metrics.Clusters, order.ClusterMetrics{ClusterID: id, Requests: int64(i)})
		many.Backends = append(many.Backends, order.BackendStatus{Backend: order.Backend{ClusterID: id, ID: "b", Address: "[2001:db8::1234:5678:9abc]:65535", Weight: 1000}, Health: "backoff"})
	}
	m := New(fakeSource{}, Options{})
	m = m.sampled(sampleMsg{s: threeClusters(0, 1)})
	m = m.sampled(sampleMsg{s: many})
	for _, size := range [][2]int{{80, 24}, {60, 12}, {132, 43}} {
		m.width, m.height = size[0], size[1]
		for _, keys := range [][]string{nil, {"end"}, {"b"}, {"b", "end"}, {"enter"}, {"/", "x", "y", "z"}} {
			mm := press(m, keys...)
			screen := render(&mm)
			lines := strings.Split(screen, "\n")
			if len(lines) != size[1] {
				t.Errorf("%v %v: %d lines, want %d", size, keys, len(lines), size[1])
			}
			for i, l := range lines {
				if n := len(stripEscapes(l)); n > size[0] {
					t.Errorf("%v %v: line %d is %d wide: %q", size, keys, i, n, l)
				}
			}
			// The header and the selected row are in reverse video.
			if n := strings.Count(screen, reverse); len(mm.Rows()) > 0 && n != 2 {
				t.Errorf("%v %v: %d lines in reverse video, want 2", size, keys, n)
			}
		}
	}
	m.width, m.height = 80, 24
	mm := press(m, "n", "end")
	if screen := render(&mm); !strings.Contains(screen, "of 43") || !strings.Contains(screen, "cluster-with~-long-name-za ") {
		t.Errorf("scrolled to the end:\n%s", screen)
	}
}

func stripEscapes(s string) string {
	for _, e := range []string{bold, reverse, plain} {
		s = strings.ReplaceAll(s, e, "")
	}
	return s
}

// TestWindow: the p99 covers the last window of polls, no more; an
// earlier Model keeps its own history.
func TestWindow(t *testing.T) {
	m := New(fakeSource{}, Options{Interval: time.Second, Window: 3 * time.Second})
	s := func(sec float64, slow int64) Sample {
		smp := threeClusters(sec, 1)
		smp.Metrics.Clusters[0].RequestTime = add(hist(time.Second, slow), hist(time.Millisecond, int64(sec)*100))
		return smp
	}
	m = m.sampled(sampleMsg{s: s(0, 0)})
	kept := m.sampled(sampleMsg{s: s(1, 50)}) // 50 slow requests between 0 and 1 s
	m = kept
	for sec := 2.0; sec <= 4; sec++ {
		m = m.sampled(sampleMsg{s: s(sec, 50)})
	}
	// The window (3 s) holds the polls at 1..4 s: 300 fast requests, no slow one.
	if r := m.table.Clusters[0]; r.Cluster != "api" || !r.HasP99 || r.P99 > time.Millisecond {
		t.Errorf("p99 over the window %+v", r)
	}
	if len(m.hist) != 4 || len(kept.hist) != 2 || kept.hist[1].Time != t0.Add(time.Second) {
		t.Errorf("history %d, the earlier model's %d", len(m.hist), len(kept.hist))
	}
	if r := kept.table.Clusters[0]; !r.HasP99 || r.P99 <= 500*time.Millisecond {
		t.Errorf("earlier model's p99 %+v, want the slow requests'", r)
	}
	if m := New(fakeSource{}, Options{Interval: time.Second, Window: time.Hour}); m.window != MaxWindowPolls+1 {
		t.Errorf("window of %d samples", m.window)
	}
}
