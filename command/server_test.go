package command_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// exchanges are the examples of docs/command-protocol.md: each request line
// and the exact lines it gets back.
var exchanges = []struct {
	name string
	send string
	want []string
}{
	{"add_cluster ok",
		`{"id":"a1","kind":"add_cluster","order":{"id":"shop","protocol":"http","load_balancing":"round_robin"}}`,
		[]string{`{"id":"a1","status":"ok"}`}},
	{"error naming a field",
		`{"id":"a2","kind":"add_cluster","order":{"id":"bad id!"}}`,
		[]string{`{"id":"a2","status":"error","message":"cluster.id: \"bad id!\": only letters, digits, '-', '_', '.' and ':' are allowed"}`}},
	{"processing then ok",
		`{"id":"a3","kind":"remove_cluster","order":{"id":"shop"}}`,
		[]string{
			`{"id":"a3","status":"processing","message":"draining 2 requests in flight"}`,
			`{"id":"a3","status":"processing","message":"drained"}`,
			`{"id":"a3","status":"ok"}`,
		}},
	{"list with content",
		`{"id":"a4","kind":"list_clusters"}`,
		[]string{`{"id":"a4","status":"ok","content":{"clusters":[{"id":"shop","protocol":"http","load_balancing":"round_robin"},{"id":"db","protocol":"tcp","load_balancing":"least_loaded"}]}}`}},
	{"malformed line",
		`{"id":"a5","kind":"add_cluster","order":{"id":"shop"`,
		[]string{`{"id":"","status":"error","message":"invalid request: not JSON: unexpected end of JSON input"}`}},
	{"unknown field",
		`{"id":"a6","kind":"add_cluster","order":{"id":"shop","colour":"blue"}}`,
		[]string{`{"id":"a6","status":"error","message":"invalid request: decoding add_cluster: json: unknown field \"colour\""}`}},
	{"unknown kind",
		`{"id":"a7","kind":"add_clustre","order":{"id":"shop"}}`,
		[]string{`{"id":"a7","status":"error","message":"invalid request: kind: unknown order \"add_clustre\""}`}},
	{"missing kind",
		`{"id":"a8"}`,
		[]string{`{"id":"a8","status":"error","message":"invalid request: kind: missing"}`}},
	{"missing id",
		`{"kind":"status"}`,
		[]string{`{"id":"","status":"ok"}`}},
	{"wrong type",
		`{"id":"a9","kind":"remove_cluster","order":{"id":7}}`,
		[]string{`{"id":"a9","status":"error","message":"invalid request: decoding remove_cluster: json: cannot unmarshal number into Go struct field RemoveCluster.id of type string"}`}},
	{"garbage",
		`hello proxy`,
		[]string{`{"id":"","status":"error","message":"invalid request: not JSON: invalid character 'h' looking for beginning of value"}`}},
	{"two values on one line",
		`{"id":"b1","kind":"status"} {"id":"b2","kind":"status"}`,
		[]string{`{"id":"","status":"error","message":"invalid request: not JSON: invalid character '{' after top-level value"}`}},
}

// TestExchanges sends every kind of line on one connection, one at a time,
// and checks the exact answers; the connection survives them all.
func TestExchanges(t *testing.T) {
	srv := start(t, fake)
	r := dialRaw(t, srv)
	for _, x := range exchanges {
		r.send(x.send + "\n")
		for i, want := range x.want {
			if got := r.line(); got != want {
				t.Errorf("%s: answer %d\n got %s\nwant %s", x.name, i, got, want)
			}
		}
	}
	r.alive()
}

// TestPipelined writes every example in one write and reads all the answers,
// in order.
func TestPipelined(t *testing.T) {
	srv := start(t, fake)
	r := dialRaw(t, srv)
	var all strings.Builder
	var want []string
	for _, x := range exchanges {
		all.WriteString(x.send + "\n")
		want = append(want, x.want...)
	}
	r.send(all.String())
	for i, w := range want {
		if got := r.line(); got != w {
			t.Errorf("answer %d\n got %s\nwant %s", i, got, w)
		}
	}
	r.alive()
}

// TestBadInput sends each kind of bad line on its own connection and checks
// the error answer, then that the same connection still serves.
func TestBadInput(t *testing.T) {
	srv := start(t, fake)
	for _, c := range []struct{ name, line, id, message string }{
		{"garbage", "\x00\x01\xff\xfe binary \x7f", "", "invalid request: not JSON: invalid character '\\x00' looking for beginning of value"},
		{"invalid JSON", `{"id":"x1","kind":}`, "", "invalid request: not JSON: invalid character '}' looking for beginning of value"},
		{"unknown kind", `{"id":"x2","kind":"launch_missiles"}`, "x2", `invalid request: kind: unknown order "launch_missiles"`},
		{"unknown field in the order", `{"id":"x3","kind":"remove_cluster","order":{"id":"a","force":true}}`, "x3", `invalid request: decoding remove_cluster: json: unknown field "force"`},
		{"unknown field in the request", `{"id":"x4","kind":"status","priority":1}`, "x4", `invalid request: decoding request: json: unknown field "priority"`},
		{"not an object", `["status"]`, "", `invalid request: not a JSON object but array (a request is {"id":…,"kind":…,"order":{…}})`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := dialRaw(t, srv)
			r.send(c.line + "\n")
			got := r.resp()
			if got.ID != c.id || got.Status != order.StatusError || got.Message != c.message {
				t.Errorf("got %+v\nwant id %q, error %q", got, c.id, c.message)
			}
			r.alive()
		})
	}
}

// TestBlankLinesIgnored: blank lines get no answer; the next order is
// answered first.
func TestBlankLinesIgnored(t *testing.T) {
	srv := start(t, fake)
	r := dialRaw(t, srv)
	r.send("\n\r\n  \t \n")
	r.alive()
}

// TestCRLF: a line ending in \r\n (socat's crlf option, a Windows client)
// is read like one ending in \n.
func TestCRLF(t *testing.T) {
	srv := start(t, fake)
	r := dialRaw(t, srv)
	r.send(`{"id":"w","kind":"status"}` + "\r\n")
	if got := r.line(); got != `{"id":"w","status":"ok"}` {
		t.Fatal(got)
	}
}

// TestHandlerMisbehaves: a panicking handler and one answering with a
// non-final status give error answers; the connection goes on.
func TestHandlerMisbehaves(t *testing.T) {
	srv := start(t, func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
		switch o.(type) {
		case order.RemoveCluster:
			panic("boom")
		case order.ListClusters:
			return order.Response{Status: order.StatusProcessing}
		}
		return order.Response{Status: order.StatusOK}
	})
	r := dialRaw(t, srv)
	r.send(`{"id":"p","kind":"remove_cluster","order":{"id":"a"}}` + "\n" + `{"id":"q","kind":"list_clusters"}` + "\n")
	if got := r.line(); got != `{"id":"p","status":"error","message":"internal error: the remove_cluster handler panicked: boom"}` {
		t.Error(got)
	}
	if got := r.line(); got != `{"id":"q","status":"error","message":"internal error: the handler answered with status \"processing\""}` {
		t.Error(got)
	}
	r.alive()
}

// TestLastLineWithoutNewline: a client that half-closes after a last line
// without a newline gets its answer, then the server closes.
func TestLastLineWithoutNewline(t *testing.T) {
	srv := start(t, fake)
	r := dialRaw(t, srv)
	r.send(`{"id":"n1","kind":"status"}` + "\n" + `{"id":"n2","kind":"status"}`)
	if err := r.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got := r.line(); got != `{"id":"n1","status":"ok"}` {
		t.Error(got)
	}
	if got := r.line(); got != `{"id":"n2","status":"ok"}` {
		t.Error(got)
	}
	r.c.SetReadDeadline(time.Now().Add(wait))
	if rest, err := r.r.ReadString('\n'); err == nil || rest != "" {
		t.Errorf("after the last answer: %q, %v; want EOF", rest, err)
	}
}

// TestDocExamples checks that every exchange shown in
// docs/command-protocol.md ("> request", "< answer" lines) is one the
// tests make, with the same answers.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/command-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string][]string{}
	for _, x := range exchanges {
		sent[x.send] = x.want
	}
	var req string
	var answers []string
	check := func() {
		if req == "" {
			return
		}
		want, ok := sent[req]
		if !ok {
			t.Errorf("the doc sends %s, which no test sends", req)
		} else if strings.Join(answers, "\n") != strings.Join(want, "\n") {
			t.Errorf("the doc answers %s with\n%s\nthe test with\n%s", req, strings.Join(answers, "\n"), strings.Join(want, "\n"))
		}
		req, answers = "", nil
	}
	shown := 0
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "> "):
			check()
			req = line[2:]
			shown++
		case strings.HasPrefix(line, "< "):
			answers = append(answers, line[2:])
		}
	}
	check()
	if shown < 5 {
		t.Errorf("the doc shows %d exchanges", shown)
	}
}
