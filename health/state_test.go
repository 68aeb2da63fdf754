package health

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScenarios runs the scenario files of testdata: each line feeds one
// event to a State at a time and checks the outcome.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runScenario(t, f) })
	}
}

func runScenario(t *testing.T, path string) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var (
		st    State
		pol   Policy
		th    Thresholds
		epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		steps int
	)
	sc := bufio.NewScanner(fh)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d: %s", path, ln, line)
		f := strings.Fields(line)
		switch f[0] {
		case "policy":
			kv := keyValues(t, where, f[1:])
			pol = Policy{MaxFailures: atoi(t, where, kv["failures"]), BackoffBase: dur(t, where, kv["base"]),
				BackoffMax: dur(t, where, kv["cap"])}
			continue
		case "thresholds":
			kv := keyValues(t, where, f[1:])
			th = Thresholds{Rise: atoi(t, where, kv["rise"]), Fall: atoi(t, where, kv["fall"])}
			continue
		case "at":
		default:
			t.Fatalf("%s: unknown directive", where)
		}
		arrow := indexOf(f, "=>")
		if len(f) < 5 || arrow < 3 {
			t.Fatalf("%s: want: at TIME EVENT [ARG] => EXPECT", where)
		}
		now := epoch.Add(dur(t, where, f[1]))
		event, args, want := f[2], f[3:arrow], f[arrow+1:]
		steps++
		if event == "usable" {
			ok, trial := st.Usable(now)
			got := "no"
			if ok && trial {
				got = "trial"
			} else if ok {
				got = "yes"
			}
			if got != want[0] {
				t.Errorf("%s: usable = %s", where, got)
			}
			continue
		}
		var tr Transition
		switch event {
		case "fail":
			if len(args) != 1 {
				t.Fatalf("%s: fail wants a jitter", where)
			}
			j, err := strconv.ParseFloat(args[0], 64)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			tr = st.ConnectFailed(now, pol, j)
		case "ok":
			tr = st.ConnectSucceeded()
		case "check-ok":
			tr = st.CheckResult(true, th)
		case "check-fail":
			tr = st.CheckResult(false, th)
		case "check-removed":
			tr = st.CheckRemoved()
		default:
			t.Fatalf("%s: unknown event", where)
		}
		if tr.To != st.Status() {
			t.Errorf("%s: transition says %v, state says %v", where, tr.To, st.Status())
		}
		if got := st.Status().String(); got != want[0] {
			t.Errorf("%s: status %s", where, got)
		}
		for _, w := range want[1:] {
			k, v, _ := strings.Cut(w, "=")
			if k != "retry" {
				t.Fatalf("%s: unknown expectation %q", where, w)
			}
			if got, exp := st.RetryAt(), epoch.Add(dur(t, where, v)); !got.Equal(exp) {
				t.Errorf("%s: retry at +%v, want +%v", where, got.Sub(epoch), exp.Sub(epoch))
			}
		}
	}
	if steps == 0 {
		t.Fatalf("%s: no steps", path)
	}
}

func indexOf(f []string, s string) int {
	for i, x := range f {
		if x == s {
			return i
		}
	}
	return -1
}

func keyValues(t *testing.T, where string, f []string) map[string]string {
	kv := map[string]string{}
	for _, x := range f {
		k, v, ok := strings.Cut(x, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", where, x)
		}
		kv[k] = v
	}
	return kv
}

func atoi(t *testing.T, where, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return n
}

func dur(t *testing.T, where, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return d
}

// TestDefaults: the zero Policy and Thresholds mean the documented defaults.
func TestDefaults(t *testing.T) {
	var p Policy
	if got := p.Backoff(1, 0); got != DefaultBackoffBase {
		t.Errorf("first backoff %v", got)
	}
	if got := p.Backoff(100, 0); got != DefaultBackoffMax {
		t.Errorf("capped backoff %v", got)
	}
	var s State
	now := time.Unix(0, 0)
	for i := 1; i < DefaultMaxFailures; i++ {
		if tr := s.ConnectFailed(now, p, 0); tr.To != Backoff {
			t.Fatalf("failure %d: %v", i, tr.To)
		}
	}
	if tr := s.ConnectFailed(now, p, 0); tr != (Transition{Backoff, Down}) {
		t.Fatalf("failure %d: %+v", DefaultMaxFailures, tr)
	}
	var c State
	for range 2 {
		c.CheckResult(false, Thresholds{})
	}
	if c.Status() != Up {
		t.Fatal("down before 3 failed checks")
	}
	if tr := c.CheckResult(false, Thresholds{}); !tr.Changed() || tr.To != Down {
		t.Fatalf("third failed check: %+v", tr)
	}
	c.CheckResult(true, Thresholds{})
	if tr := c.CheckResult(true, Thresholds{}); tr.To != Up {
		t.Fatalf("two good checks: %+v", tr)
	}
	if ok, checked := c.LastCheck(); !ok || !checked {
		t.Fatal("last check not recorded")
	}
}

// TestPolicyWith: a cluster's passive health overrides the fields it
// sets; a first wait beyond the cap raises the cap.
func TestPolicyWith(t *testing.T) {
	proxyWide := Policy{MaxFailures: 5}
	cases := []struct {
		name string
		q    Policy
		want Policy
	}{
		{"nothing set", Policy{}, Policy{5, DefaultBackoffBase, DefaultBackoffMax}},
		{"max failures", Policy{MaxFailures: 1}, Policy{1, DefaultBackoffBase, DefaultBackoffMax}},
		{"both waits", Policy{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second},
			Policy{5, 100 * time.Millisecond, time.Second}},
		{"a base past the default cap", Policy{BackoffBase: 2 * time.Minute}, Policy{5, 2 * time.Minute, 2 * time.Minute}},
	}
	for _, c := range cases {
		if got := proxyWide.With(c.q); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	p := proxyWide.With(Policy{MaxFailures: 1, BackoffBase: 2 * time.Minute})
	var s State
	if tr := s.ConnectFailed(time.Unix(0, 0), p, 0); tr != (Transition{Up, Down}) {
		t.Errorf("one failure with max_failures 1: %+v", tr)
	}
	if got := p.Backoff(3, 0); got != 2*time.Minute {
		t.Errorf("third wait %v, want the base, 2m, which is also the cap", got)
	}
}
