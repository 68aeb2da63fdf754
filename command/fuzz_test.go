package command_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// fuzzLimit is the line limit of the fuzzed server, small so that inputs
// reach it.
const fuzzLimit = 64

// FuzzConnection feeds arbitrary bytes to a real server as one connection's
// input, then half-closes. The server must not panic and must answer every
// line that is not blank (the last one may lack its newline) with exactly
// one final response, in order; a line that decodes as a request is
// answered with its id.
func FuzzConnection(f *testing.F) {
	for _, x := range exchanges {
		f.Add([]byte(x.send + "\n"))
	}
	f.Add([]byte(`{"id":"a","kind":"status"}` + "\n\n" + `{"id":"b","kind":"status"}`))
	f.Add([]byte("\r\n \t\n"))
	f.Add(bytes.Repeat([]byte("y"), 3*fuzzLimit))
	f.Add([]byte(`{"id":"p","kind":"remove_cluster","order":{"id":"x"}}` + "\n" + string(bytes.Repeat([]byte(" "), fuzzLimit+1)) + "\nnot json\n"))
	f.Add([]byte{})
	f.Add([]byte("\n"))
	f.Add([]byte(`{"id":"\u00e9\ud800","kind":"status"}` + "\n"))

	srv := start(f, fake, func(s *command.Server) { s.MaxLineBytes = fuzzLimit })
	f.Fuzz(func(t *testing.T, input []byte) {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: srv.Path(), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(wait))
		wrote := make(chan error, 1)
		go func() {
			_, err := c.Write(input)
			if err == nil {
				err = c.CloseWrite()
			}
			wrote <- err
		}()
		var got []order.Response
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				if len(line) != 0 {
					t.Fatalf("a response without its newline: %q", line)
				}
				break // EOF: the server answered everything and closed
			}
			var resp order.Response
			if err := json.Unmarshal(line, &resp); err != nil {
				t.Fatalf("response %q: %v", line, err)
			}
			if resp.Status != order.StatusProcessing {
				got = append(got, resp)
			}
		}
		if err := <-wrote; err != nil {
			t.Fatalf("writing the input: %v", err)
		}
		want := expectedAnswers(input)
		if len(got) != len(want) {
			t.Fatalf("%d final responses to %d lines\ninput %q\ngot %+v", len(got), len(want), input, got)
		}
		for i, w := range want {
			g := got[i]
			if g.Status != order.StatusOK && g.Status != order.StatusError {
				t.Errorf("answer %d has status %q", i, g.Status)
			}
			if w.decoded && g.ID != w.id {
				t.Errorf("answer %d has id %q, want %q", i, g.ID, w.id)
			}
			if !w.decoded && g.Status != order.StatusError {
				t.Errorf("answer %d to an undecodable line is %+v", i, g)
			}
		}
	})
}

type expected struct {
	decoded bool // the line is a request: its id is echoed
	id      string
}

// expectedAnswers lists the lines of input that get an answer: every line
// (the last may lack its newline) unless it holds only spaces, tabs and
// carriage returns and is within the limit.
func expectedAnswers(input []byte) []expected {
	lines := bytes.Split(input, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	var out []expected
	for _, l := range lines {
		if len(l) <= fuzzLimit && len(bytes.Trim(l, " \t\r")) == 0 {
			continue
		}
		var req order.Request
		ok := len(l) <= fuzzLimit && json.Unmarshal(l, &req) == nil
		out = append(out, expected{decoded: ok, id: req.ID})
	}
	return out
}
