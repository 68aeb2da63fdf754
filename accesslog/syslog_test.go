package accesslog

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Syslog
		wantErr string
	}{
		{in: "syslog://127.0.0.1:514", want: Syslog{"udp", "127.0.0.1:514", 16, "sluice"}},
		{in: "syslog://127.0.0.1", want: Syslog{"udp", "127.0.0.1:514", 16, "sluice"}},
		{in: "syslog+udp://[::1]:5514?facility=daemon", want: Syslog{"udp", "[::1]:5514", 3, "sluice"}},
		{in: "syslog+tcp://logs.internal", want: Syslog{"tcp", "logs.internal:601", 16, "sluice"}},
		{in: "syslog+tcp://127.0.0.1:6514?tag=edge-1&facility=23", want: Syslog{"tcp", "127.0.0.1:6514", 23, "edge-1"}},
		{in: "syslog+unix:///dev/log?facility=local7", want: Syslog{"unixgram", "/dev/log", 23, "sluice"}},
		{in: "syslog+unix://dev/log", wantErr: "absolute path"},
		{in: "syslog+unix:///dev/log#x", wantErr: "fragment"},
		{in: "syslog://:514", wantErr: "no host"},
		{in: "syslog://127.0.0.1:", wantErr: "empty port"},
		{in: "syslog://127.0.0.1:0", wantErr: "not 1 to 65535"},
		{in: "syslog://127.0.0.1:http", wantErr: "invalid port"},
		{in: "syslog://127.0.0.1/path", wantErr: "want syslog://host:port"},
		{in: "syslog://u@127.0.0.1", wantErr: "no user"},
		{in: "syslog+tls://127.0.0.1", wantErr: `scheme "syslog+tls"`},
		{in: "syslog://127.0.0.1?facility=local8", wantErr: `facility "local8"`},
		{in: "syslog://127.0.0.1?facility=24", wantErr: `facility "24"`},
		{in: "syslog://127.0.0.1?tag=a%20b", wantErr: `tag "a b"`},
		{in: "syslog://127.0.0.1?tag=", wantErr: `tag ""`},
		{in: "syslog://127.0.0.1?tag=" + strings.Repeat("x", 49), wantErr: "1 to 48"},
		{in: "syslog://127.0.0.1?tag=a&tag=b", wantErr: "tag given 2 times"},
		{in: "syslog://127.0.0.1?severity=3", wantErr: `unknown parameter "severity"`},
		{in: "syslog://127.0.0.1?%zz", wantErr: "query"},
	} {
		got, err := ParseTarget(tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one with %q", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.wantErr == "" && *got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.in, *got, tc.want)
		}
	}
	if _, err := New(Config{Target: "syslog://127.0.0.1?facility=x"}); err == nil {
		t.Error("New accepted a bad syslog target")
	}
}

// rfc5424 matches a message as sent: PRI, version 1, timestamp, hostname,
// app-name, procid, msgid, no structured data, the line.
var rfc5424 = regexp.MustCompile(`^<(\d{1,3})>1 (\S+) (\S+) (\S{1,48}) (\d+) (\S+) - (.*)$`)

// checkMessage parses msg and checks its header and that it carries line.
func checkMessage(t *testing.T, msg, line string, pri int, tag string) {
	t.Helper()
	m := rfc5424.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("not an RFC 5424 message: %q", msg)
	}
	if p, _ := strconv.Atoi(m[1]); p != pri {
		t.Errorf("PRI %s, want %d", m[1], pri)
	}
	if ts, err := time.Parse(time.RFC3339Nano, m[2]); err != nil || time.Since(ts) > time.Minute || time.Since(ts) < 0 {
		t.Errorf("timestamp %q: %v", m[2], err)
	}
	if host, _ := os.Hostname(); m[3] != host {
		t.Errorf("hostname %q, want %q", m[3], host)
	}
	if m[4] != tag || m[5] != strconv.Itoa(os.Getpid()) || m[6] != "access" {
		t.Errorf("app-name %q procid %q msgid %q, want %s, %d, access", m[4], m[5], m[6], tag, os.Getpid())
	}
	if m[7] != line {
		t.Errorf("message %q\nwant    %q", m[7], line)
	}
}

// lines are the lines a test logs: two requests and a tcp connection.
func wantLines(format Format) (func(*Logger), []string) {
	e1, e2, c := entryN(1), entryN(2), fullConn()
	var out []string
	for _, b := range [][]byte{appendText(nil, e1), appendText(nil, e2), appendConnText(nil, c)} {
		out = append(out, strings.TrimSuffix(string(b), "\n"))
	}
	if format == JSON {
		out = nil
		for _, b := range [][]byte{appendJSON(nil, e1), appendJSON(nil, e2), appendConnJSON(nil, c)} {
			out = append(out, strings.TrimSuffix(string(b), "\n"))
		}
	}
	return func(l *Logger) { l.Log(e1); l.Log(e2); l.LogConn(c) }, out
}

// TestSyslogUDP: a receiver on 127.0.0.1:0 gets one RFC 5424 datagram per
// line, with the facility and tag of the target.
func TestSyslogUDP(t *testing.T) {
	for _, format := range []Format{Text, JSON} {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		l, err := New(Config{Target: "syslog://" + pc.LocalAddr().String() + "?facility=local3&tag=edge", Format: format})
		if err != nil {
			t.Fatal(err)
		}
		log, want := wantLines(format)
		log(l)
		buf := make([]byte, 64<<10)
		for i, line := range want {
			pc.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				t.Fatalf("datagram %d: %v", i, err)
			}
			checkMessage(t, string(buf[:n]), line, 19*8+6, "edge")
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if st := l.Stats(); st.Written != 3 || st.Dropped+st.Failed != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// TestSyslogTCP: over TCP the messages are octet-counted (RFC 6587).
func TestSyslogTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []string, 1)
	go func() {
		var msgs []string
		defer func() { got <- msgs }()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(c)
		for {
			n, err := r.ReadString(' ')
			if err != nil {
				return
			}
			k, err := strconv.Atoi(strings.TrimSuffix(n, " "))
			if err != nil || k <= 0 {
				msgs = append(msgs, "bad length "+n)
				return
			}
			b := make([]byte, k)
			if _, err := io.ReadFull(r, b); err != nil {
				msgs = append(msgs, "short message")
				return
			}
			msgs = append(msgs, string(b))
		}
	}()
	l, err := New(Config{Target: "syslog+tcp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	log, want := wantLines(Text)
	log(l)
	if err := l.Close(); err != nil { // closes the connection: the receiver ends
		t.Fatal(err)
	}
	msgs := <-got
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d: %q", len(msgs), len(want), msgs)
	}
	for i, m := range msgs {
		checkMessage(t, m, want[i], 16*8+6, "sluice")
	}
}

// unixgramReceiver is a datagram socket in a temporary folder.
func unixgramReceiver(t *testing.T) (*net.UnixConn, string) {
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	return c, path
}

// TestSyslogUnix: a local datagram socket, as /dev/log, gets a message
// per line.
func TestSyslogUnix(t *testing.T) {
	rc, path := unixgramReceiver(t)
	defer rc.Close()
	l, err := New(Config{Target: "syslog+unix://" + path + "?facility=daemon"})
	if err != nil {
		t.Fatal(err)
	}
	log, want := wantLines(Text)
	log(l)
	buf := make([]byte, 64<<10)
	for _, line := range want {
		rc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := rc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, string(buf[:n]), line, 3*8+6, "sluice")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSyslogFullQueueDrops: a receiver that takes nothing ends up
// blocking the writer (its socket's queue full); Log goes on without
// waiting, dropping and counting every line the writer's queue cannot
// hold. When the receiver goes, the blocked write fails and Close ends.
func TestSyslogFullQueueDrops(t *testing.T) {
	rc, path := unixgramReceiver(t)
	const queue = 64
	l, err := New(Config{Target: "syslog+unix://" + path, QueueLines: queue, CloseTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := fullEntry()
	// Fill the receiver's socket: log a queue's worth at a time until the
	// writer stops writing (bounded: 400 rounds).
	logged, last, still := 0, int64(-1), 0
	for round := 0; still < 5; round++ {
		if round == 400 {
			t.Fatalf("the writer never blocked: %+v", l.Stats())
		}
		for range queue {
			l.Log(e)
		}
		logged += queue
		time.Sleep(20 * time.Millisecond) // more than the writer's linger
		if w := l.Stats().Written; w == last {
			still++
		} else {
			last, still = w, 0
		}
	}
	before := l.Stats()
	const more = 5000
	for range more { // returns: Log never waits for the writer
		l.Log(e)
	}
	logged += more
	st := l.Stats()
	t.Logf("blocked after %d lines written; then %+v", before.Written, st)
	if st.Dropped-before.Dropped < more-queue-1 {
		t.Errorf("%d of %d lines dropped while the writer was blocked, want all but the queue's %d", st.Dropped-before.Dropped, more, queue)
	}
	rc.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st = l.Stats()
	if st.Written+st.Dropped+st.Failed != int64(logged) {
		t.Errorf("stats %+v: want the %d lines accounted for", st, logged)
	}
}

// TestSyslogUnreachable: a target that refuses is reported once and its
// lines counted as failed; lines go again once it listens.
func TestSyslogUnreachable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	var reported []error
	l, err := New(Config{Target: "syslog+unix://" + path, OnError: func(err error) { reported = append(reported, err) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		l.Log(entryN(i))
	}
	testwait.For(t, "3 failed lines", func() bool { return l.Stats().Failed == 3 })
	if err := l.Err(); err == nil || !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Err() = %v", err)
	}
	rc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// It dials again at most once a second: log until a line arrives.
	buf := make([]byte, 4096)
	deadline := time.Now().Add(5 * time.Second)
	for i := 3; ; i++ {
		l.Log(entryN(i))
		rc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := rc.Read(buf); err == nil {
			if !rfc5424.Match(buf[:n]) || !strings.Contains(string(buf[:n]), " req-") {
				t.Errorf("message %q", buf[:n])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no message after the target came back")
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(reported) != 1 {
		t.Errorf("OnError called %d times, want once: %v", len(reported), reported)
	}
}
