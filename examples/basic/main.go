// Command basic is the seed's complete example, rewritten for Sluice: it
// starts a proxy with one HTTP listener, adds a cluster, a frontend for
// example.com and a backend through the order channel, prints the
// acknowledgements, then sends one request through the proxy.
//
// The backend is a small origin server this program starts on loopback, so
// the example runs with nothing else installed:
//
//	go run ./examples/basic
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

func main() {
	log.Println("starting up")
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
	log.Println("good bye")
}

// run is the example; it prints to w.
func run(w io.Writer) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// An origin server standing in for the seed's 192.0.2.1:8080.
	origin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the origin, you asked for %s%s\n", r.Host, r.URL.Path)
	})}
	go server.Serve(origin)
	defer server.Close()

	// Reserve a free port for the proxy's listener.
	front, err := freeAddress()
	if err != nil {
		return err
	}
	config := proxy.Config{
		Listeners: []order.Listener{{Protocol: order.HTTP, Address: front, Active: true}},
		Logger:    logger,
	}

	command, channel := proxy.NewChannel(1000)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- proxy.Run(ctx, config, channel) }()

	// In Sōzu's model an application (app_id) is implicit; in Sluice the
	// cluster is declared first.
	command.Requests <- order.Request{ID: "ID_CLUSTER", Order: order.AddCluster{Cluster: order.Cluster{ID: "test"}}}
	fmt.Fprintf(w, "HTTP -> %+v\n", <-command.Responses)

	httpFront := order.HTTPFrontend{Address: front, Hostname: "example.com", Path: "/", ClusterID: "test"}
	httpBackend := order.Backend{ClusterID: "test", ID: "test-0", Address: origin.Addr().String()}

	command.Requests <- order.Request{ID: "ID_ABCD", Order: order.AddHTTPFrontend{HTTPFrontend: httpFront}}
	command.Requests <- order.Request{ID: "ID_EFGH", Order: order.AddBackend{Backend: httpBackend}}

	fmt.Fprintf(w, "HTTP -> %+v\n", <-command.Responses)
	fmt.Fprintf(w, "HTTP -> %+v\n", <-command.Responses)

	// One request through the proxy, with the Host the frontend matches.
	req, _ := http.NewRequest("GET", "http://"+front+"/hello", nil)
	req.Host = "example.com"
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		stop()
		<-done
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(w, "GET http://example.com/hello -> %s: %s", resp.Status, body)

	stop()
	return <-done
}

func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
