package top

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/command"
)

// The few escape sequences the screen uses: every terminal has them.
const (
	bold    = "\x1b[1m"
	reverse = "\x1b[7m"
	plain   = "\x1b[0m"
)

// column is one column of a table: a fixed width, or a share of what the
// fixed columns leave (flex > 0).
type column struct {
	title string
	width int
	flex  int
	left  bool
	cell  func(*Row) string
}

// render draws m within its width and height: a title line, a status
// line, the table's header and rows, and a line of keys. Lines are cut to
// the width; rows that do not fit scroll to keep the selection in sight.
func render(m *Model) string {
	w, h := max(m.width, 20), max(m.height, 6)
	var b strings.Builder
	line := func(style, s string) {
		s = cut(s, w)
		if style != "" && !m.plain {
			s = style + s + strings.Repeat(" ", w-len(s)) + plain
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}

	line(bold, m.title())
	line(m.statusStyle(), m.statusLine())
	cols := m.columns()
	widths := layout(cols, w)
	var hdr []string
	for i, c := range cols {
		hdr = append(hdr, pad(c.title, widths[i], c.left))
	}
	line(reverse, strings.Join(hdr, " "))

	rows := m.Rows()
	avail := h - 4
	sel := -1
	for i := range rows {
		if rows[i].Key() == m.sel {
			sel = i
		}
	}
	off := 0
	if sel >= avail {
		off = sel - avail + 1
	}
	shown := 0
	for i := off; i < len(rows) && shown < avail; i++ {
		var cells []string
		for j, c := range cols {
			cells = append(cells, pad(c.cell(&rows[i]), widths[j], c.left))
		}
		style := ""
		if i == sel {
			style = reverse
		}
		line(style, strings.Join(cells, " "))
		shown++
	}
	if len(rows) == 0 {
		line("", m.emptyLine())
		shown++
	}
	for ; shown < avail; shown++ {
		b.WriteByte('\n')
	}
	keys := m.keysLine()
	if len(rows) > avail {
		keys = fmt.Sprintf("%d-%d of %d  ", off+1, off+min(avail, len(rows)-off), len(rows)) + keys
	}
	b.WriteString(cut(keys, w))
	return b.String()
}

func (m *Model) title() string {
	s := "sluice top"
	if m.polls == 0 {
		return s
	}
	st := m.last.Status
	if !m.connected {
		s += "  (stale)"
	}
	s += fmt.Sprintf("  pid %d  up %s  conns %d  req/s %s", st.PID, uptime(st.UptimeSeconds),
		m.table.Connections, rateText(m.table.Rated, m.table.ReqRate))
	if st.Version != "" {
		s += "  " + st.Version
	}
	return s
}

func (m *Model) statusStyle() string {
	if !m.connected {
		return reverse
	}
	return ""
}

func (m *Model) statusLine() string {
	if !m.connected {
		if m.err == "" {
			return "connecting..."
		}
		// The error says which socket and why; that it could not be
		// reached, the first word does.
		return "DISCONNECTED: " + strings.TrimPrefix(m.err, command.ErrUnreachable.Error()+": ")
	}
	var where string
	switch m.mode {
	case Clusters:
		where = "clusters"
	case Backends:
		where = "all backends"
	case Drill:
		where = "cluster " + m.drill
	}
	dir := "desc"
	if !m.desc {
		dir = "asc"
	}
	s := fmt.Sprintf("%s  sort %s %s", where, m.sortBy, dir)
	if m.filter != "" || m.editing {
		s += "  filter: " + m.filter
		if m.editing {
			s += "_"
		}
	}
	if off := m.last.MetricsOff; off != "" {
		s += "  no metrics: " + off
	}
	return s
}

func (m *Model) emptyLine() string {
	switch {
	case m.polls == 0:
		return ""
	case m.filter != "":
		return "no row matches " + strconv.Quote(m.filter)
	case m.mode == Drill:
		return "no backend in cluster " + m.drill
	}
	return "nothing to show"
}

func (m *Model) keysLine() string {
	if !m.connected && m.err != "" {
		return "retrying every " + m.interval.String() + "  q quit"
	}
	if m.editing {
		return "type to filter  enter keep  esc clear"
	}
	back := "enter drill  b backends"
	switch m.mode {
	case Backends:
		back = "enter drill  b clusters"
	case Drill:
		back = "esc back"
	}
	return "r/e/p/c/n sort  / filter  up/down select  " + back + "  q quit"
}

// columns are those of the mode.
func (m *Model) columns() []column {
	rate := func(r *Row) string { return rateText(r.Rated, r.ReqRate) }
	errs := func(r *Row) string { return rateText(r.Rated, r.ErrRate) }
	p99 := func(r *Row) string { return durationText(r.HasP99, r.P99) }
	active := func(r *Row) string { return strconv.FormatInt(r.Active, 10) }
	if m.mode == Clusters {
		return []column{
			{title: "CLUSTER", flex: 1, left: true, width: 8, cell: func(r *Row) string { return r.Cluster }},
			{title: "REQ/S", width: 8, cell: rate},
			{title: "ERR/S", width: 7, cell: errs},
			{title: "ERR%", width: 6, cell: func(r *Row) string {
				if !r.Rated {
					return "-"
				}
				return strconv.FormatFloat(100*r.ErrRatio, 'f', 1, 64) + "%"
			}},
			{title: "P99", width: 8, cell: p99},
			{title: "ACTIVE", width: 6, cell: active},
			{title: "IDLE", width: 5, cell: func(r *Row) string { return strconv.FormatInt(r.Idle, 10) }},
			{title: "UP", width: 7, cell: func(r *Row) string { return fmt.Sprintf("%d/%d", r.Up, r.Up+r.Down) }},
		}
	}
	name := column{title: "BACKEND", flex: 1, left: true, width: 8, cell: func(r *Row) string { return r.Backend }}
	if m.mode == Backends {
		name = column{title: "CLUSTER/BACKEND", flex: 1, left: true, width: 8, cell: func(r *Row) string { return r.Key() }}
	}
	return []column{
		name,
		{title: "ADDRESS", flex: 1, left: true, width: 15, cell: func(r *Row) string { return r.Address }},
		{title: "HEALTH", width: 8, left: true, cell: func(r *Row) string {
			if r.Backup {
				return r.Health + "*"
			}
			return r.Health
		}},
		{title: "WT", width: 4, cell: func(r *Row) string { return strconv.Itoa(r.Weight) }},
		{title: "REQ/S", width: 7, cell: rate},
		{title: "ERR/S", width: 6, cell: errs},
		{title: "P99", width: 7, cell: p99},
		{title: "ACT", width: 4, cell: active},
	}
}

// layout returns the width of each column for a line of w characters:
// the flexible ones share what the fixed ones and the spaces leave, by
// their flex, never below their own width.
func layout(cols []column, w int) []int {
	out := make([]int, len(cols))
	left, flex := w-(len(cols)-1), 0
	for i, c := range cols {
		out[i] = c.width
		left -= c.width
		flex += c.flex
	}
	if left <= 0 || flex == 0 {
		return out
	}
	given := 0
	last := -1
	for i, c := range cols {
		if c.flex > 0 {
			add := left * c.flex / flex
			out[i] += add
			given += add
			last = i
		}
	}
	out[last] += left - given
	return out
}

// pad fits s in n characters, aligned left or right; a longer s loses
// its middle, replaced by a '~', so that names that differ at their end
// (shop-eu-1, shop-eu-2) still do.
func pad(s string, n int, left bool) string {
	if len(s) > n {
		if n <= 0 {
			return ""
		}
		head := (n - 1) / 2
		return s[:head] + "~" + s[len(s)-(n-1-head):]
	}
	if left {
		return s + strings.Repeat(" ", n-len(s))
	}
	return strings.Repeat(" ", n-len(s)) + s
}

// cut keeps the first w bytes of s (the screen's text is ASCII).
func cut(s string, w int) string {
	if len(s) > w {
		return s[:w]
	}
	return s
}

// rateText writes a per-second figure in at most 7 characters; "-" when
// it is not known yet.
func rateText(ok bool, v float64) string {
	switch {
	case !ok:
		return "-"
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v < 1e6:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
}

// durationText writes d in at most 8 characters: "0.42ms", "12.3ms",
// "1.50s"; "-" when nothing was observed.
func durationText(ok bool, d time.Duration) string {
	switch {
	case !ok:
		return "-"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// uptime writes seconds as "3d4h", "5h12m", "4m10s".
func uptime(s int64) string {
	d := time.Duration(s) * time.Second
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%ds", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%ds", s)
}
