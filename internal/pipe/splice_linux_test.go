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

// TestRelaySplices proves that a TCP-to-TCP relay moves its bytes with
// splice(2): it runs TestSpliceHelper in a child test process under
// strace, which records every splice call, and checks that the calls'
// results add up to the relayed bytes twice (socket to pipe, pipe to
// socket). The helper's own client and server use read and write only, so
// every splice is the relay's. It is skipped where strace is missing or
// cannot trace (no ptrace permission).
func TestRelaySplices(t *testing.T) {
	if os.Getenv(spliceHelperEnv) != "" {
		t.Skip("in the helper process")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed")
	}
	out := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(strace, "-f", "-qq", "-e", "trace=splice", "-o", out,
		os.Args[0], "-test.run=^TestSpliceHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), spliceHelperEnv+"=1")
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
	var calls, total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			calls++
			total += n
		}
	}
	t.Logf("%d splice calls moved %d bytes for %d relayed", calls, total, spliceBytes)
	if total < 2*spliceBytes {
		t.Fatalf("splice moved %d bytes; a splice relay of %d bytes moves at least %d", total, spliceBytes, 2*spliceBytes)
	}
}

// TestSpliceHelper relays spliceBytes one way; it runs only as the child of
// TestRelaySplices.
func TestSpliceHelper(t *testing.T) {
	if os.Getenv(spliceHelperEnv) == "" {
		t.Skip("runs only under TestRelaySplices")
	}
	client, server, done := setup(t, time.Minute, false)
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
	if res := <-done; res.Err != nil {
		t.Fatal(res.Err)
	}
}
