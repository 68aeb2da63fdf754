package top

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Mode is what the table shows.
type Mode int

// The modes.
const (
	Clusters Mode = iota // one row per cluster
	Backends             // every backend of every cluster
	Drill                // the backends of one cluster
)

// Model is the state of `sluice top` and its Update: the samples of the
// window, the rows computed from them, and what the keys chose (sort,
// filter, mode, selection). It reaches the proxy only through its Source,
// in a command that Update returns; render draws it. A Model is a value:
// Update returns the next one.
type Model struct {
	src      Source
	interval time.Duration
	window   int // samples kept: the p99 covers window-1 intervals

	hist      []Sample // oldest first; emptied by a failed poll
	last      Sample   // the last sample, shown while disconnected
	table     Table
	connected bool
	err       string // why the last poll failed
	polls     int    // answered polls

	mode    Mode
	drill   string // the cluster drilled into
	sortBy  SortKey
	desc    bool
	filter  string
	editing bool   // typing the filter
	sel     string // key of the selected row
	quit    bool

	width, height int
	plain         bool // render without escape sequences (Snapshot)
}

// Options tune a Model.
type Options struct {
	// Interval between polls; 1s by default.
	Interval time.Duration
	// Window over which quantiles are computed, a whole number of
	// intervals (at most MaxWindowPolls); 10s by default.
	Window time.Duration
	// Cluster, when set, starts drilled into that cluster.
	Cluster string
}

// MaxWindowPolls bounds the samples a Model keeps: a window is at most
// that many intervals.
const MaxWindowPolls = 60

// New returns a Model that polls src.
func New(src Source, o Options) Model {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Window < o.Interval {
		o.Window = 10 * o.Interval
	}
	m := Model{src: src, interval: o.Interval, window: min(int(o.Window/o.Interval), MaxWindowPolls) + 1,
		sortBy: ByRequests, desc: true, width: 80, height: 24}
	if o.Cluster != "" {
		m.mode, m.drill = Drill, o.Cluster
	}
	return m
}

// sampleMsg is the outcome of one poll.
type sampleMsg struct {
	s   Sample
	err error
}

// tickMsg asks for the next poll.
type tickMsg struct{}

// poll runs one Fetch (bubbletea runs it in its own goroutine).
func (m Model) poll() tea.Msg {
	s, err := m.src.Fetch()
	return sampleMsg{s, err}
}

// Init implements tea.Model: the first poll.
func (m Model) Init() tea.Cmd { return m.poll }

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case sampleMsg:
		m = m.sampled(msg)
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return tickMsg{} })
	case tickMsg:
		return m, m.poll
	case tea.KeyPressMsg:
		m = m.key(msg.String(), msg.Text)
		if m.quit {
			return m, tea.Quit
		}
	}
	return m, nil
}

// sampled takes a poll's outcome. A failure drops the history: the proxy
// that answers next may be another process (a restart), whose counters
// started again; the last rows stay on screen, marked stale.
func (m Model) sampled(msg sampleMsg) Model {
	if msg.err != nil {
		m.connected, m.err, m.hist = false, msg.err.Error(), nil
		return m
	}
	m.connected, m.err = true, ""
	m.polls++
	if n := len(m.hist); n > 0 && m.hist[n-1].Status.PID != msg.s.Status.PID {
		m.hist = nil // another process answers on the socket (an upgrade)
	}
	// A new array each time, so that a Model stays a value: an earlier
	// copy keeps its own history (at most MaxWindowPolls+1 samples).
	m.hist = append(slices.Clip(m.hist[max(0, len(m.hist)+1-m.window):]), msg.s)
	m.last = msg.s
	var base, prev *Sample
	if n := len(m.hist); n > 1 {
		base, prev = &m.hist[0], &m.hist[n-2]
	}
	m.table = Compute(base, prev, &m.hist[len(m.hist)-1])
	return m.keepSelection()
}

// key applies one key press: name is the key's name ("q", "enter",
// "ctrl+c"), text what it types ("" for a special key).
func (m Model) key(name, text string) Model {
	if name == "ctrl+c" {
		m.quit = true
		return m
	}
	if m.editing {
		switch name {
		case "enter":
			m.editing = false
		case "esc":
			m.editing, m.filter = false, ""
		case "backspace":
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		default:
			for _, r := range text {
				if r >= 0x20 && r < 0x7f && len(m.filter) < 64 { // ids and addresses are ASCII
					m.filter += string(r)
				}
			}
		}
		return m.keepSelection()
	}
	switch name {
	case "q":
		m.quit = true
	case "r", "e", "p", "c", "n":
		k := map[string]SortKey{"r": ByRequests, "e": ByErrors, "p": ByP99, "c": ByActive, "n": ByName}[name]
		if k == m.sortBy {
			m.desc = !m.desc
		} else {
			m.sortBy, m.desc = k, k != ByName
		}
	case "/":
		m.editing = true
	case "up", "k":
		m = m.move(-1)
	case "down", "j":
		m = m.move(1)
	case "home", "g":
		m = m.move(-1 << 30)
	case "end", "G":
		m = m.move(1 << 30)
	case "tab", "b":
		switch m.mode {
		case Clusters:
			m.mode = Backends
		default:
			m.mode = Clusters
		}
	case "enter", "right", "l":
		if r, ok := m.selected(); ok && m.mode != Drill {
			m.mode, m.drill, m.sel, m.filter = Drill, r.Cluster, r.Key(), ""
		}
	case "esc", "left", "h", "backspace":
		switch {
		case m.mode == Drill:
			m.mode, m.sel = Clusters, m.drill
		case m.filter != "":
			m.filter = ""
		}
	}
	return m.keepSelection()
}

// Rows returns the rows the screen shows, in their order: those of the
// mode, filtered and sorted.
func (m *Model) Rows() []Row {
	var rows []Row
	switch m.mode {
	case Clusters:
		rows = append(rows, m.table.Clusters...)
	case Backends:
		rows = append(rows, m.table.Backends...)
	case Drill:
		for _, r := range m.table.Backends {
			if r.Cluster == m.drill {
				rows = append(rows, r)
			}
		}
	}
	rows = matchRows(rows, m.filter)
	sortRows(rows, m.sortBy, m.desc)
	return rows
}

// selected returns the selected row; the first when none is.
func (m *Model) selected() (Row, bool) {
	rows := m.Rows()
	for _, r := range rows {
		if r.Key() == m.sel {
			return r, true
		}
	}
	if len(rows) > 0 {
		return rows[0], true
	}
	return Row{}, false
}

// move moves the selection by n rows, within the table.
func (m Model) move(n int) Model {
	rows := m.Rows()
	if len(rows) == 0 {
		return m
	}
	i := 0
	for j, r := range rows {
		if r.Key() == m.sel {
			i = j
		}
	}
	i = min(max(i+n, 0), len(rows)-1)
	m.sel = rows[i].Key()
	return m
}

// keepSelection selects the first row when the selected one is not shown
// (filtered out, another mode). The selection follows its row, not its
// position, as the order changes from poll to poll.
func (m Model) keepSelection() Model {
	if r, ok := m.selected(); ok {
		m.sel = r.Key()
	}
	return m
}

// View implements tea.Model.
func (m Model) View() tea.View {
	v := tea.NewView(render(&m))
	v.AltScreen = true
	v.WindowTitle = "sluice top"
	return v
}

// Snapshot polls src twice, interval apart, and returns the screen the
// second poll gives, as plain text of width×height: what `sluice top
// --once` prints. The error is the first poll's or the second's.
func Snapshot(src Source, o Options, width, height int, sleep func(time.Duration)) (string, error) {
	m := New(src, o)
	m.width, m.height, m.plain = width, height, true
	for i := range 2 {
		if i > 0 {
			sleep(m.interval)
		}
		s, err := src.Fetch()
		if err != nil {
			return "", err
		}
		m = m.sampled(sampleMsg{s: s})
	}
	return render(&m), nil
}
