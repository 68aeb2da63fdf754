package h1

import (
	"bytes"
	"testing"
)

func TestDecodeSplitAnywhere(t *testing.T) {
	body := "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT"
	want := "Wikipedia in \r\n\r\nchunks."
	for split := 0; split <= len(body); split++ {
		var s ChunkedScanner
		var got []byte
		rest := ""
		done := false
		for _, part := range []string{body[:split], body[split:]} {
			if done {
				rest += part
				continue
			}
			p := []byte(part)
			n, m, fin, err := s.Decode(p)
			if err != nil {
				t.Fatalf("split %d: %v", split, err)
			}
			got = append(got, p[:m]...)
			if fin {
				done = true
				rest += part[n:]
			}
		}
		if !done || string(got) != want || rest != "NEXT" {
			t.Fatalf("split %d: done %v, data %q, rest %q", split, done, got, rest)
		}
	}
}

func TestDecodeRejectsBadFraming(t *testing.T) {
	var s ChunkedScanner
	p := []byte("3\r\nabc\r\nzz\r\n")
	_, m, _, err := s.Decode(p)
	if err == nil {
		t.Fatal("bad chunk size accepted")
	}
	if !bytes.Equal(p[:m], []byte("abc")) {
		t.Errorf("data before the error: %q", p[:m])
	}
	if _, _, _, err := s.Decode([]byte("0\r\n\r\n")); err == nil {
		t.Error("the error is not sticky")
	}
}
