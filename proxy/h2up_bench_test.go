package proxy_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// BenchmarkH2Upstream: GET requests one after the other on one kept-alive
// HTTP/1.1 client connection, to an h2c origin (backend_protocol h2) and,
// for comparison, to the same origin over HTTP/1.1: the proxy's cost per
// request of the HTTP/2 upstream (client, origin and proxy share the
// process, so only the differences mean something).
func BenchmarkH2Upstream(b *testing.B) {
	for _, proto := range []order.BackendProtocol{order.HTTP1, order.H2} {
		b.Run(string(proto), func(b *testing.B) {
			h := startProxy(b, nil)
			var p http.Protocols
			p.SetUnencryptedHTTP2(true)
			p.SetHTTP1(true)
			o := newUnstartedOrigin(b, "o", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello, world\n") })
			o.Config.Protocols = &p
			o.Start()
			id := h.route("bench.test", o.Listener.Addr().String())
			h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(proto)})
			req, _ := http.NewRequest("GET", "http://"+h.Addr+"/", nil)
			req.Host = "bench.test"
			get := func() {
				resp, err := h.HC.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
			get()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				get()
			}
		})
	}
}
