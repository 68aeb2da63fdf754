package pipe

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

const spliceHelperEnv = "SLUICE_PIPE_SPLICE_HELPER"

// spliceBytes is what the helper relays.
const spliceBytes = 8 << 20

// TestRelaySplices proves that a bulk TCP-to-TCP relay moves its bytes
// with splice(2), and that small exchanges do not: it runs
// TestSpliceHelper in a child test process under strace, which records
// every splice call. A bulk relay's calls add up to the relayed bytes twice
// (socket to pipe, pipe to socket) but for the first buffer, copied before
// the switch (adaptive.go); a ping-pong of small messages splices nothing.
// The helper's own client and server use read and write only, so every
// splice is the relay's. It is skipped where strace is missing or cannot
// trace (no ptrace permission).
func TestRelaySplices(t *testing.T) {
	if os.Getenv(spliceHelperEnv) != "" {
		t.Skip("in the helper process")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed")
	}
	for _, mode := range []string{"bulk", "messages"} {
		calls, total := traceSplices(t, strace, mode)
		t.Logf("%s: %d splice calls moved %d bytes", mode, calls, total)
		switch {
		case mode == "bulk" && total < 2*(spliceBytes-copyBuf):
			t.Errorf("bulk: splice moved %d bytes; a relay of %d bytes splices at least %d", total,
				spliceBytes, 2*(spliceBytes-copyBuf))
		case mode == "messages" && calls != 0:
			t.Errorf("messages: %d splice calls for small exchanges; want them copied", calls)
		}
	}
}

// traceSplices runs the helper in mode under strace and adds up its
// splice calls.
func traceSplices(t *testing.T, strace, mode string) (calls, total int64) {
	out := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(strace, "-f", "-qq", "-e", "trace=splice", "-o", out,
		os.Args[0], "-test.run=^TestSpliceHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), spliceHelperEnv+"="+mode)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot run the helper under strace: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// e.g. "1234  splice(7, NULL, 10, NULL, 262144, SPLICE_F_NONBLOCK) = 65536",
	// or, when threads interleave, "1234  <... splice resumed>) = 65536".
	re := regexp.MustCompile(`(?:splice\(.*\)|<\.\.\. splice resumed>.*)\s+=\s+(\d+)`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			calls++
			total += n
		}
	}
	return calls, total
}

// TestSpliceHelper relays spliceBytes one way ("bulk"), or 1000 small
// messages back and forth ("messages"); it runs only as the child of
// TestRelaySplices.
func TestSpliceHelper(t *testing.T) {
	mode := os.Getenv(spliceHelperEnv)
	if mode == "" {
		t.Skip("runs only under TestRelaySplices")
	}
	client, server, done := setup(t, time.Minute, false)
	if mode == "messages" {
		go func() { // the server echoes
			buf := make([]byte, 64)
			for {
				if _, err := io.ReadFull(server, buf); err != nil {
					server.CloseWrite()
					return
				}
				if _, err := server.Write(buf); err != nil {
					return
				}
			}
		}()
		msg, back := pattern(64), make([]byte, 64)
		for range 1000 {
			if _, err := client.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(client, back); err != nil {
				t.Fatal(err)
			}
		}
		client.CloseWrite()
		if _, err := io.Copy(io.Discard, client); err != nil {
			t.Fatal(err)
		}
	} else {
		go func() {
			buf := pattern(64 << 10)
			for sent := 0; sent < spliceBytes; sent += len(buf) {
				if _, err := client.Write(buf); err != nil {
					return
				}
			}
			client.CloseWrite()
		}()
		n, err := io.Copy(io.Discard, struct{ io.Reader }{server}) // plain reads
		if err != nil || n != spliceBytes {
			t.Fatalf("%d bytes, %v", n, err)
		}
		server.CloseWrite()
	}
	if res := <-done; res.Err != nil {
		t.Fatal(res.Err)
	}
}
