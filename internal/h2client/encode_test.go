package h2client

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// decodeBlock decodes a header block with x/net's decoder, which knows
// nothing of this encoder: the differential check of encode.go.
func decodeBlock(t testing.TB, block []byte) []xhpack.HeaderField {
	t.Helper()
	var got []xhpack.HeaderField
	d := xhpack.NewDecoder(4096, func(f xhpack.HeaderField) { got = append(got, f) })
	if _, err := d.Write(block); err != nil {
		t.Fatalf("x/net cannot decode the block %x: %v", block, err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("x/net: the block %x ends early: %v", block, err)
	}
	return got
}

// TestAppendBlock: a request's block decodes (with x/net) to its
// pseudo-fields, then its fields in order with names lowered, without
// those HTTP/2 does not carry, credentials never indexed, nothing added
// to the dynamic table, and content-length last when the body's length
// is known.
func TestAppendBlock(t *testing.T) {
	r := &Request{Method: []byte("PATCH"), Scheme: []byte("https"), Authority: []byte("api.test:8443"),
		Path: []byte("/v1/x?y=1"), Body: strings.NewReader("{}"), ContentLength: 2,
		Fields: []h1.Header{
			{Name: []byte("User-Agent"), Value: []byte("curl/8")},
			{Name: []byte("Connection"), Value: []byte("close")},
			{Name: []byte("TE"), Value: []byte("trailers")},
			{Name: []byte("te"), Value: []byte("gzip")},
			{Name: []byte("Host"), Value: []byte("other")},
			{Name: []byte("Content-Length"), Value: []byte("99")},
			{Name: []byte("Authorization"), Value: []byte("Bearer x")},
			{Name: []byte("X-Long-Name-Not-In-The-Table"), Value: []byte(strings.Repeat("v", 300))},
			{Name: []byte("Cookie"), Value: []byte("a=1; b=2")},
			{Name: []byte("Upgrade"), Value: []byte("h2c")},
		}}
	block, _ := appendBlock(nil, nil, r)
	got := decodeBlock(t, block)
	want := []xhpack.HeaderField{
		{Name: ":method", Value: "PATCH"}, {Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "api.test:8443"}, {Name: ":path", Value: "/v1/x?y=1"},
		{Name: "user-agent", Value: "curl/8"}, {Name: "te", Value: "trailers"},
		{Name: "authorization", Value: "Bearer x", Sensitive: true},
		{Name: "x-long-name-not-in-the-table", Value: strings.Repeat("v", 300)},
		{Name: "cookie", Value: "a=1; b=2", Sensitive: true},
		{Name: "content-length", Value: "2"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decoded:\n %v\nwant:\n %v", got, want)
	}
	// A second block decodes the same with the same decoder state: the
	// first added nothing to the table the decoder keeps.
	d := xhpack.NewDecoder(4096, nil)
	for i := range 2 {
		fs, err := d.DecodeFull(block)
		if err != nil || fmt.Sprint(fs) != fmt.Sprint(want) {
			t.Errorf("block %d on one decoder: %v, %v", i, fs, err)
		}
	}
	// The common pseudo-fields are one byte each (static table).
	g := &Request{Method: []byte("GET"), Scheme: []byte("http"), Path: []byte("/")}
	if b, _ := appendBlock(nil, nil, g); !bytes.Equal(b, []byte{0x82, 0x86, 0x84}) {
		t.Errorf("GET http / without authority: %x, want 828684", b)
	}
}

// FuzzAppendBlock: whatever the fields (names of token characters,
// values without CR, LF or NUL, as the caller checks them), x/net decodes
// the block to the pseudo-fields and the fields kept, in order, lowered.
func FuzzAppendBlock(f *testing.F) {
	f.Add("GET", "/", "a.test", "X-A", "1", "cookie", "c=1")
	f.Add("OPTIONS", "*", "", "te", "trailers", "Connection", "x")
	f.Fuzz(func(t *testing.T, method, path, authority, n1, v1, n2, v2 string) {
		if !h1.ValidMethod([]byte(method)) || !h1.ValidFieldName([]byte(n1)) || !h1.ValidFieldName([]byte(n2)) || path == "" {
			t.Skip()
		}
		for _, s := range []string{authority, v1, v2, path} {
			if strings.ContainsAny(s, "\r\n\x00") {
				t.Skip()
			}
		}
		r := &Request{Method: []byte(method), Scheme: []byte("http"), Authority: []byte(authority), Path: []byte(path),
			Fields: []h1.Header{{Name: []byte(n1), Value: []byte(v1)}, {Name: []byte(n2), Value: []byte(v2)}}}
		block, _ := appendBlock(nil, nil, r)
		got := decodeBlock(t, block)
		want := []string{":method=" + method, ":scheme=http"}
		if authority != "" {
			want = append(want, ":authority="+authority)
		}
		want = append(want, ":path="+path)
		for _, f := range r.Fields {
			name := strings.ToLower(string(f.Name))
			if !forbidden([]byte(name), f.Value) {
				want = append(want, name+"="+string(f.Value))
			}
		}
		var have []string
		for _, f := range got {
			have = append(have, f.Name+"="+f.Value)
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Errorf("decoded %q, want %q", have, want)
		}
	})
}
