package main

import (
	"bufio"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestOrdersLoggedWithClientIDs: every applied order is logged at info
// with the id its client sent and what it changed, and so is every refused
// order, with the reason.
func TestOrdersLoggedWithClientIDs(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	c, err := net.Dial("unix", filepath.Join(dir, "sluice.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	send := func(line string) string {
		t.Helper()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		answer, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return answer
	}
	send(`{"id":"t-42","kind":"add_backend","order":{"cluster_id":"shop","id":"shop-3","address":"127.0.0.1:3002"}}`)
	send(`{"id":"t-43","kind":"add_backend","order":{"cluster_id":"nope","id":"x","address":"127.0.0.1:3003"}}`)
	send(`{"id":"t-44","kind":"add_cluster","order":{"id":"bad id!"}}`)
	if _, stderr, code := cli(t, dir, "-s", "sluice.sock", "cluster", "add", "--id", "api"); code != 0 {
		t.Fatalf("cluster add: %s", stderr)
	}
	want := []string{
		`level=INFO msg="order applied" id=t-42 kind=add_backend cluster=shop backend=shop-3 address=127.0.0.1:3002`,
		`level=INFO msg="order refused" id=t-43 kind=add_backend cluster=nope backend=x address=127.0.0.1:3003 error=`,
		`level=INFO msg="order refused" id=t-44 kind=add_cluster cluster="bad id!" error=`,
	}
	// The CLI's ids are cli-PID-N.
	cliLine := regexp.MustCompile(`level=INFO msg="order applied" id=cli-\d+-1 kind=add_cluster cluster=api\n`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		log, all := d.stderr.String(), true
		for _, w := range want {
			all = all && strings.Contains(log, w)
		}
		if all && cliLine.MatchString(log) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want lines with\n%s\nand %s in the log:\n%s", strings.Join(want, "\n"), cliLine, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(d.stderr.String(), "id=do-") {
		t.Errorf("an order is logged with the daemon's own id, not its client's:\n%s", d.stderr)
	}
}
