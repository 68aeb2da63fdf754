package h1

import (
	"math/rand/v2"
	"testing"
)

func TestTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		wantValue := b == '\t' || (b >= 0x20 && b != 0x7f)
		if valueTable[b] != wantValue {
			t.Errorf("valueTable[%#x] = %v", b, valueTable[b])
		}
		if tokenTable[b] && (b <= 0x20 || b >= 0x7f || b == ':' || b == '"' || b == '(' || b == ',' || b == '/') {
			t.Errorf("tokenTable[%#x] is true", b)
		}
		if regNameTable[b] && (b <= 0x20 || b >= 0x7f || b == '@' || b == '/' || b == ':' || b == '[') {
			t.Errorf("regNameTable[%#x] is true", b)
		}
	}
	for _, s := range []string{"GET", "x-forwarded-for", "!#$%&'*+-.^_`|~09AZaz"} {
		if !isToken([]byte(s)) {
			t.Errorf("isToken(%q) = false", s)
		}
	}
}

// TestSkipValueBytes compares the SWAR scanner with the plain table loop.
func TestSkipValueBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abc XYZ\t\r\n\x00\x01\x1f\x7f\x80\xff~!")
	for n := 0; n < 20000; n++ {
		buf := make([]byte, rng.IntN(40))
		for i := range buf {
			if rng.IntN(6) == 0 {
				buf[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				buf[i] = byte(0x20 + rng.IntN(0x5f))
			}
		}
		start := 0
		if len(buf) > 0 {
			start = rng.IntN(len(buf) + 1)
		}
		want := start
		for want < len(buf) && valueTable[buf[want]] {
			want++
		}
		if got := skipValueBytes(buf, start, len(buf)); got != want {
			t.Fatalf("skipValueBytes(%q, %d) = %d, want %d", buf, start, got, want)
		}
	}
}

func TestValidHost(t *testing.T) {
	good := []string{"a", "example.com", "example.com:8080", "1.2.3.4:1", "[::1]", "[2001:db8::1]:443", "a%20b", "my_host", "x-y.z~"}
	bad := []string{"", ":80", "a:", "a:123456", "a:8x", "a b", "a/b", "u@a", "a%2", "a%zz", "[::1", "[]", "[::1]x", "[::1]:", "a:1:2", "é"}
	for _, h := range good {
		if !validHost([]byte(h)) {
			t.Errorf("validHost(%q) = false", h)
		}
	}
	for _, h := range bad {
		if validHost([]byte(h)) {
			t.Errorf("validHost(%q) = true", h)
		}
	}
}
