// Command origin is a minimal HTTP/1.1 keep-alive origin server for the
// whole-proxy benchmark (bench/run.sh): every request gets 200 with the fixed
// 13-byte body "hello, world\n" and a Content-Length. It logs nothing.
//
//	origin -listen 127.0.0.1:8080
//
// /64k answers 65 536 bytes (the bulk64 scenario). Two paths serve the long exchanges of bench/upgrade.sh: /upload reads
// the whole request body and answers 200 "N bytes"; /ws is a WebSocket
// that echoes every message until the client closes.
//
// run.sh uses nginx as the origin by default (it costs less CPU per request
// on the CPU the origin shares with wrk); this program is the fallback when
// nginx is not wanted (run.sh --origin go).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/coder/websocket"
)

var body = []byte("hello, world\n")

// bulk is the answer of /64k (bench/run.sh's bulk64 scenario): 65 536 bytes.
var bulk = make([]byte, 64<<10)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on (host:port)")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/upload":
				upload(w, r)
				return
			case "/ws":
				echo(w, r)
				return
			case "/64k":
				h := w.Header()
				h["Content-Type"] = []string{"application/octet-stream"}
				h["Content-Length"] = []string{"65536"}
				w.WriteHeader(http.StatusOK)
				w.Write(bulk)
				return
			}
			h := w.Header()
			// Set the map directly: canonical keys, no allocation per call
			// beyond the slices.
			h["Content-Type"] = []string{"text/plain"}
			h["Content-Length"] = []string{"13"}
			w.WriteHeader(http.StatusOK)
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(os.Stderr, "origin: ", 0),
	}
	fmt.Printf("origin ready: listen=%s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}

// upload reads the body whole and says how long it was.
func upload(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d bytes", n)
}

// echo is a WebSocket that sends every message back.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				c.Close(websocket.StatusNormalClosure, "")
			}
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}
