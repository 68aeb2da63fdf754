package h2

import (
	"errors"
	"time"
)

// Limits bound what one client connection may send per second (a window
// of FloodWindow) before the connection is closed with
// GOAWAY(ENHANCE_YOUR_CALM), beyond what the protocol itself bounds. Zero
// fields take the defaults of DefaultLimits.
type Limits struct {
	Pings           int // PING frames (not acks)
	Settings        int // SETTINGS frames (not acks)
	Resets          int // RST_STREAM frames (rapid reset)
	EmptyData       int // DATA frames with no payload and no END_STREAM
	WindowUpdates   int // WINDOW_UPDATE frames on stream 0
	Priorities      int // PRIORITY and PRIORITY_UPDATE frames
	Continuations   int // CONTINUATION frames in one header block (not per second)
	MaxStreams      int // SETTINGS_MAX_CONCURRENT_STREAMS advertised
	MaxHeaderFields int // request header fields; more gets 431
	// MaxHeaderBlock bounds one header block (a HEADERS frame and its
	// CONTINUATION frames, as sent: compressed, padding included) in
	// bytes, and the decoded header list (SETTINGS_MAX_HEADER_LIST_SIZE):
	// the listener's head limit, so that a header block costs no more than
	// an HTTP/1.1 head may. A block over it ends the connection; a list
	// over it (an HPACK bomb) gets 431.
	MaxHeaderBlock int
}

// DefaultLimits are Sōzu's defaults (which follow the CVEs they answer:
// CVE-2019-9512 ping, CVE-2019-9515 settings, CVE-2023-44487 rapid reset,
// CVE-2019-9518 empty frames, CVE-2024-27316 CONTINUATION).
var DefaultLimits = Limits{Pings: 100, Settings: 50, Resets: 100, EmptyData: 100,
	WindowUpdates: 1000, Priorities: 1000, Continuations: 20, MaxStreams: 100, MaxHeaderFields: 100,
	MaxHeaderBlock: 32 << 10}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	for _, p := range []struct{ v, def *int }{{&l.Pings, &d.Pings}, {&l.Settings, &d.Settings},
		{&l.Resets, &d.Resets}, {&l.EmptyData, &d.EmptyData}, {&l.WindowUpdates, &d.WindowUpdates},
		{&l.Priorities, &d.Priorities}, {&l.Continuations, &d.Continuations},
		{&l.MaxStreams, &d.MaxStreams}, {&l.MaxHeaderFields, &d.MaxHeaderFields},
		{&l.MaxHeaderBlock, &d.MaxHeaderBlock}} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return l
}

// FloodWindow is the period over which frame counts are bounded.
const FloodWindow = time.Second

// Reasons a connection ends with GOAWAY(ENHANCE_YOUR_CALM).
var (
	// ErrFlood: too many control frames of one kind in FloodWindow, or
	// too many CONTINUATION frames in one header block.
	ErrFlood = errors.New("h2: frame flood")
	// ErrHeaderBlock: a header block grew past Limits.MaxHeaderBlock.
	ErrHeaderBlock = errors.New("h2: header block over the limit")
	// ErrMalformed: a request with a connection-specific header field, or
	// TE other than "trailers" (RFC 9113 §8.2.2); it ends the connection
	// with GOAWAY(PROTOCOL_ERROR).
	ErrMalformed = errors.New("h2: malformed request headers")
)

// Indexes of floods.counts.
const (
	countPings = iota
	countSettings
	countResets
	countEmptyData
	countWindowUpdates
	countPriorities
	numCounts
)

// floods counts a connection's control frames per FloodWindow. Only the
// connection's reading goroutine touches it.
type floods struct {
	lim    *Limits
	window time.Time
	counts [numCounts]int
	cont   int // CONTINUATION frames in the header block in progress
}

// over counts a frame of kind i now and reports whether it passes its
// limit.
func (f *floods) over(i int) bool {
	if now := time.Now(); now.Sub(f.window) >= FloodWindow {
		f.window, f.counts = now, [numCounts]int{}
	}
	f.counts[i]++
	var limit int
	switch i {
	case countPings:
		limit = f.lim.Pings
	case countSettings:
		limit = f.lim.Settings
	case countResets:
		limit = f.lim.Resets
	case countEmptyData:
		limit = f.lim.EmptyData
	case countWindowUpdates:
		limit = f.lim.WindowUpdates
	default:
		limit = f.lim.Priorities
	}
	return f.counts[i] > limit
}
