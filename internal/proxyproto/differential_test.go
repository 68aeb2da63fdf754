package proxyproto

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pires "github.com/pires/go-proxyproto"
)

// TestDifferential runs every seed of the fuzz corpora, and a few more
// inputs, through this package and github.com/pires/go-proxyproto, and
// checks that both accept the same headers with the same addresses.
// The known disagreements are listed with their reason.
func TestDifferential(t *testing.T) {
	var inputs [][]byte
	for _, dir := range []string{"FuzzParseV1", "FuzzParseV2"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", dir, "*"))
		for _, f := range files {
			inputs = append(inputs, readSeed(t, f))
		}
	}
	if len(inputs) < 10 {
		t.Fatalf("only %d seeds found", len(inputs))
	}
	for _, in := range inputs {
		var h Header
		n, err := Parse(in, &h, 0)
		ph, perr := pires.Read(bufio.NewReader(bytes.NewReader(in)))
		oursOK, theirsOK := err == nil, perr == nil
		key := strconv.Quote(string(in))
		if why := knownDifference(in, err); why != "" {
			t.Logf("known difference on %s: %s", key, why)
			continue
		}
		if oursOK != theirsOK {
			t.Errorf("%s: ours %v (n=%d), pires %v", key, err, n, perr)
			continue
		}
		if !oursOK {
			continue
		}
		src, dst, ok := ph.TCPAddrs()
		if ok != h.HasAddrs() {
			if !ok && ph.TransportProtocol == pires.UnixStream {
				continue // unix sockets: neither gives an IP address
			}
			t.Errorf("%s: ours has addresses %v, pires %v (%v %v)", key, h.HasAddrs(), ok, src, dst)
			continue
		}
		if ok && (!sameAddr(h.Source, src) || !sameAddr(h.Dest, dst)) {
			t.Errorf("%s: ours %v %v, pires %v %v", key, h.Source, h.Dest, src, dst)
		}
		if got := ph.Command.IsLocal(); h.Version == 2 && got != (h.Command == Local) {
			t.Errorf("%s: ours command %v, pires local=%v", key, h.Command, got)
		}
	}
}

// knownDifference says why the two parsers disagree on in on purpose, or
// returns "".
func knownDifference(in []byte, err error) string {
	if len(in) < v2Fixed || string(in[:12]) != v2Sig {
		return ""
	}
	switch {
	case in[12] == v2Local && in[13] != famUnspec:
		return "LOCAL with addresses: the spec says to ignore them; pires returns them"
	case in[12] == v2Proxy && in[13] == famUnspec:
		return "PROXY with UNSPEC: the spec lets a receiver accept it with the real addresses (we do); pires refuses"
	case in[13]&0x0f == 2:
		return "a datagram header on a stream listener: we refuse it; pires accepts"
	case err != nil && strings.Contains(err.Error(), "TLV"):
		return "bad TLV framing: we refuse it when reading the header; pires only when asked for the TLVs"
	}
	return ""
}

func sameAddr(a netip.AddrPort, b *net.TCPAddr) bool {
	ip, _ := netip.AddrFromSlice(b.IP)
	return a.Addr().Unmap() == ip.Unmap() && int(a.Port()) == b.Port
}

// readSeed decodes a corpus file holding one []byte value.
func readSeed(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a one-value corpus file", path)
	}
	v := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
	s, err := strconv.Unquote(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}
