package encode

import (
	"bytes"
	"io"
	"testing"
)

func TestNegotiate(t *testing.T) {
	all := []string{"zstd", "br", "gzip"}
	for _, c := range []struct {
		accept []string
		algs   []string
		want   string
	}{
		{[]string{"gzip"}, all, "gzip"},
		{[]string{"gzip, deflate, br, zstd"}, all, "zstd"},
		{[]string{"gzip, deflate, br"}, all, "br"},
		{[]string{"gzip;q=1.0, br;q=0.9"}, all, "gzip"},
		{[]string{"GZIP;Q=0.5", "br;q=0.4"}, all, "gzip"},
		{[]string{"br;q=0"}, all, ""},
		{[]string{"*"}, all, "zstd"},
		{[]string{"*;q=0.1, zstd;q=0"}, all, "br"},
		{[]string{"x-gzip"}, all, "gzip"},
		{[]string{"identity"}, all, ""},
		{[]string{""}, all, ""},
		{[]string{"gzip;q=0.001"}, all, "gzip"},
		{[]string{"gzip;q=2"}, all, ""},
		{[]string{"gzip;q=abc"}, all, ""},
		{[]string{"gzip ; q=0.8 , br ; q=0.9"}, all, "br"},
		{[]string{"br, gzip"}, []string{"gzip"}, "gzip"},
	} {
		var vs [][]byte
		for _, a := range c.accept {
			vs = append(vs, []byte(a))
		}
		if got := Negotiate(vs, c.algs); got != c.want {
			t.Errorf("Negotiate(%q, %v) = %q, want %q", c.accept, c.algs, got, c.want)
		}
	}
	vs := [][]byte{[]byte("gzip;q=0.5, br")}
	if n := testing.AllocsPerRun(100, func() { Negotiate(vs, all) }); n != 0 {
		t.Errorf("Negotiate allocates %v times", n)
	}
}

func TestTypeMatches(t *testing.T) {
	types := []string{"text/*", "application/json"}
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true, "TEXT/CSS": true, "application/json": true,
		"application/json;charset=utf-8": true, "application/jsonp": false, "image/png": false, "": false, "text": false,
	} {
		if got := TypeMatches([]byte(ct), types); got != want {
			t.Errorf("TypeMatches(%q) = %v", ct, got)
		}
	}
}

// TestPooledEncodersAllocs: an encoder taken again from its pool makes a
// stream of its own; after warming up, a compressed stream allocates
// little (nothing, measured: 0 for each algorithm).
func TestPooledEncodersAllocs(t *testing.T) {
	body := bytes.Repeat([]byte("pooled encoders, "), 4096)
	for _, alg := range []string{"gzip", "zstd", "br"} {
		var out bytes.Buffer
		for range 3 {
			out.Reset()
			e := Get(alg, 5, &out)
			e.Write(body)
			e.Close()
			Put(alg, 5, e)
		}
		if out.Len() == 0 || out.Len() > len(body)/10 {
			t.Errorf("%s: %d bytes from %d", alg, out.Len(), len(body))
		}
		if raceEnabled {
			continue // the race detector's pools drop what they are given
		}
		allocs := testing.AllocsPerRun(20, func() {
			e := Get(alg, 5, io.Discard)
			e.Write(body)
			e.Close()
			Put(alg, 5, e)
		})
		t.Logf("%s: %.0f allocations per pooled stream of %d bytes", alg, allocs, len(body))
		if allocs > 8 {
			t.Errorf("%s: %.0f allocations per pooled stream", alg, allocs)
		}
	}
}
