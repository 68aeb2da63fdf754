package proxy_test

// The traffic policy through both fronts (policy-guard): basic auth, rate
// limits, compression, retries, maglev by key and fail-open health checks.
// Each table runs through HTTP/1.1 and HTTP/2 (eachFront).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/sluiceproxy/sluice/order"
)

// argon2idHash makes an argon2id hash of pass, cheap parameters.
func argon2idHash(pass string) string {
	salt := []byte("saltsaltsalt")
	key := argon2.IDKey([]byte(pass), salt, 1, 64, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestFrontsBasicAuth(t *testing.T) {
	bh, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{"alice": string(bh), "bob": argon2idHash("pw2")}
	cases := []struct {
		name, host, auth string
		status           int
		seen             string // the Authorization the origin got
	}{
		{"no credentials", "auth.test", "", 401, ""},
		{"wrong password", "auth.test", basic("alice", "nope"), 401, ""},
		{"unknown user", "auth.test", basic("carol", "s3cret"), 401, ""},
		{"other scheme", "auth.test", "Bearer s3cret", 401, ""},
		{"not base64", "auth.test", "Basic !!!", 401, ""},
		{"bcrypt user", "auth.test", basic("alice", "s3cret"), 200, ""},
		{"bcrypt user again (cached)", "auth.test", basic("alice", "s3cret"), 200, ""},
		{"argon2id user", "auth.test", basic("bob", "pw2"), 200, ""},
		{"scheme in capitals", "auth.test", "BASIC " + base64.StdEncoding.EncodeToString([]byte("bob:pw2")), 200, ""},
		{"forwarded", "fwd.test", basic("alice", "s3cret"), 200, basic("alice", "s3cret")},
		{"open frontend", "open.test", "", 200, ""},
	}
	eachFront(t, func(t *testing.T, f *front) {
		o := newOrigin(t, "o", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "auth=%s", r.Header.Get("Authorization"))
		})
		f.addCluster("c")
		f.addBackend("c", "b0", o.Addr)
		f.frontend(order.HTTPFrontend{Hostname: "auth.test", ClusterID: "c",
			BasicAuth: &order.BasicAuth{Realm: "staff", Users: users}})
		f.frontend(order.HTTPFrontend{Hostname: "fwd.test", ClusterID: "c",
			BasicAuth: &order.BasicAuth{Users: users, ForwardAuthorization: true}})
		f.frontend(order.HTTPFrontend{Hostname: "open.test", ClusterID: "c"})
		for _, c := range cases {
			req := f.request("GET", c.host, "/", nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, body := f.send(req)
			if resp.StatusCode != c.status {
				t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.status)
				continue
			}
			if c.status == 401 {
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="staff", charset="UTF-8"` {
					t.Errorf("%s: WWW-Authenticate %q", c.name, got)
				}
				continue
			}
			if body != "auth="+c.seen {
				t.Errorf("%s: the origin saw %q, want %q", c.name, body, "auth="+c.seen)
			}
		}
		// A 401 to HEAD has no body, the connection goes on.
		req := f.request("HEAD", "auth.test", "/", nil)
		if resp, _ := f.send(req); resp.StatusCode != 401 {
			t.Errorf("HEAD: %d", resp.StatusCode)
		}
	})
}

func TestFrontsRateLimit(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		o := newOrigin(t, "o", nil)
		f.addCluster("c")
		f.addBackend("c", "b0", o.Addr)
		minute := order.Duration(time.Minute)
		f.frontend(order.HTTPFrontend{Hostname: "addr.test", ClusterID: "c",
			RateLimit: &order.RateLimit{Rate: 2, Period: minute}})
		f.frontend(order.HTTPFrontend{Hostname: "hdr.test", ClusterID: "c",
			RateLimit: &order.RateLimit{Rate: 1, Period: minute, Burst: 2, Key: order.LimitHeader, Header: "X-Api-Key"}})
		f.addCluster("route")
		f.addBackend("route", "b0", o.Addr)
		f.Must(order.UpdateCluster{ID: "route", RateLimit: order.Some(&order.RateLimit{Rate: 3, Period: minute, Key: order.LimitRoute})})
		f.frontend(order.HTTPFrontend{Hostname: "r1.test", ClusterID: "route"})
		f.frontend(order.HTTPFrontend{Hostname: "r2.test", ClusterID: "route"})

		steps := []struct {
			host, key string
			status    int
		}{
			{"addr.test", "", 200}, {"addr.test", "", 200}, {"addr.test", "", 429}, {"addr.test", "", 429},
			{"hdr.test", "k1", 200}, {"hdr.test", "k1", 200}, {"hdr.test", "k1", 429},
			{"hdr.test", "k2", 200}, {"hdr.test", "k2", 200}, {"hdr.test", "k2", 429},
			{"hdr.test", "", 200}, // no key: by client address, its own bucket
			// The cluster's single bucket counts both its frontends.
			{"r1.test", "", 200}, {"r2.test", "", 200}, {"r1.test", "", 200}, {"r2.test", "", 429},
		}
		for i, s := range steps {
			req := f.request("GET", s.host, "/", nil)
			if s.key != "" {
				req.Header.Set("X-Api-Key", s.key)
			}
			resp, _ := f.send(req)
			if resp.StatusCode != s.status {
				t.Errorf("step %d %s key %q: status %d, want %d", i, s.host, s.key, resp.StatusCode, s.status)
			}
			if s.status == 429 {
				if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
					t.Errorf("step %d: Retry-After %q", i, resp.Header.Get("Retry-After"))
				}
			}
		}
		// An update that keeps the limit keeps its buckets.
		f.Must(order.UpdateCluster{ID: "route", Compression: order.Some(&order.Compression{})})
		if resp, _ := f.get("r1.test", "/"); resp.StatusCode != 429 {
			t.Errorf("after an update of another setting: %d, want 429 still", resp.StatusCode)
		}
	})
}

// text is a compressible body.
var text = []byte(strings.Repeat("<p>Sluice compresses this text, over and over again.</p>\n", 1200))

func decode(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", enc, err)
	}
	return out
}

func TestFrontsCompression(t *testing.T) {
	cases := []struct {
		name, method, path, accept, rng string
		enc                             string // expected Content-Encoding; "" none
	}{
		{"gzip", "GET", "/html", "gzip", "", "gzip"},
		{"zstd", "GET", "/html", "zstd", "", "zstd"},
		{"brotli", "GET", "/html", "br", "", "br"},
		{"q-values", "GET", "/html", "gzip;q=0.5, br;q=0.8, zstd;q=0.1", "", "br"},
		{"tie: the proxy's order", "GET", "/html", "gzip, br", "", "br"},
		{"refused with q=0", "GET", "/html", "zstd;q=0, gzip", "", "gzip"},
		{"star", "GET", "/html", "*", "", "zstd"},
		{"star but gzip", "GET", "/html", "*;q=0, gzip;q=0.2", "", "gzip"},
		{"identity only", "GET", "/html", "identity", "", ""},
		{"no accept-encoding", "GET", "/html", "", "", ""},
		{"chunked response", "GET", "/chunked", "gzip", "", "gzip"},
		{"json", "GET", "/json", "gzip", "", "gzip"},
		{"small body", "GET", "/small", "gzip", "", ""},
		{"already encoded", "GET", "/encoded", "gzip", "", ""},
		{"no-transform", "GET", "/notransform", "gzip", "", ""},
		{"image", "GET", "/png", "gzip", "", ""},
		{"range request", "GET", "/html", "gzip", "bytes=0-99", ""},
		{"206 answer", "GET", "/partial", "gzip", "", ""},
		{"HEAD", "HEAD", "/html", "gzip", "", ""},
		{"204", "GET", "/empty", "gzip", "", ""},
		{"304", "GET", "/notmodified", "gzip", "", ""},
		{"error page", "GET", "/missing", "gzip", "", "gzip"},
	}
	eachFront(t, func(t *testing.T, f *front) {
		o := newOrigin(t, "o", func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			switch r.URL.Path {
			case "/html":
				h.Set("Content-Type", "text/html; charset=utf-8")
				h.Set("ETag", `"v1"`)
				h.Set("Vary", "Cookie")
				if r.Header.Get("Range") != "" {
					h.Set("Content-Range", fmt.Sprintf("bytes 0-99/%d", len(text)))
					w.WriteHeader(206)
					w.Write(text[:100])
					return
				}
				h.Set("Content-Length", strconv.Itoa(len(text)))
				w.Write(text)
			case "/chunked":
				h.Set("Content-Type", "text/plain")
				for i := 0; i < len(text); i += 4096 {
					w.Write(text[i:min(i+4096, len(text))])
					w.(http.Flusher).Flush()
				}
			case "/json":
				h.Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"text": %q}`, text)
			case "/small":
				h.Set("Content-Type", "text/html")
				w.Write(text[:100])
			case "/encoded":
				h.Set("Content-Type", "text/html")
				h.Set("Content-Encoding", "br")
				w.Write(text)
			case "/notransform":
				h.Set("Content-Type", "text/html")
				h.Set("Cache-Control", "public, no-transform")
				w.Write(text)
			case "/png":
				h.Set("Content-Type", "image/png")
				w.Write(text)
			case "/partial":
				h.Set("Content-Type", "text/html")
				h.Set("Content-Range", "bytes 0-2047/9999")
				w.WriteHeader(206)
				w.Write(text[:2048])
			case "/empty":
				w.WriteHeader(204)
			case "/notmodified":
				h.Set("Content-Type", "text/html")
				w.WriteHeader(304)
			default:
				h.Set("Content-Type", "text/html")
				w.WriteHeader(404)
				w.Write(text)
			}
		})
		f.addCluster("c")
		f.addBackend("c", "b0", o.Addr)
		f.Must(order.UpdateCluster{ID: "c", Compression: order.Some(&order.Compression{})})
		f.frontend(order.HTTPFrontend{Hostname: "z.test", ClusterID: "c"})
		for _, c := range cases {
			req := f.request(c.method, "z.test", c.path, nil)
			if c.accept != "" {
				req.Header.Set("Accept-Encoding", c.accept)
			}
			if c.rng != "" {
				req.Header.Set("Range", c.rng)
			}
			resp, body := f.send(req)
			got := resp.Header.Get("Content-Encoding")
			if c.path == "/encoded" {
				got = strings.TrimPrefix(got, "br") // the origin's own
			}
			if got != c.enc {
				t.Errorf("%s: Content-Encoding %q, want %q", c.name, got, c.enc)
				continue
			}
			if c.enc == "" {
				continue
			}
			if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" {
				t.Errorf("%s: a compressed body with a length %d", c.name, resp.ContentLength)
			}
			if !f.https && (len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked") {
				t.Errorf("%s: HTTP/1.1 framing %v, want chunked", c.name, resp.TransferEncoding)
			}
			if vs := resp.Header.Values("Vary"); !strings.Contains(strings.Join(vs, ","), "Accept-Encoding") {
				t.Errorf("%s: Vary %q lacks Accept-Encoding", c.name, vs)
			}
			if c.path == "/html" && resp.Header.Get("ETag") != `W/"v1"` {
				t.Errorf("%s: ETag %q, want the weak W/\"v1\"", c.name, resp.Header.Get("ETag"))
			}
			plain := decode(t, c.enc, []byte(body))
			want := text
			if c.path == "/json" {
				want = []byte(fmt.Sprintf(`{"text": %q}`, text))
			}
			if !bytes.Equal(plain, want) {
				t.Errorf("%s: decoded body of %d bytes differs from the %d sent", c.name, len(plain), len(want))
			}
			if len(body) > len(want)/4 {
				t.Errorf("%s: %d bytes compressed to %d", c.name, len(want), len(body))
			}
		}
	})
}

// TestFrontsCompressionStreams: a compressed streaming response reaches
// the client event by event (the encoder is flushed when the backend
// pauses), not at its end.
func TestFrontsCompressionStreams(t *testing.T) {
	for _, enc := range []string{"gzip", "zstd", "br"} {
		t.Run(enc, func(t *testing.T) {
			eachFront(t, func(t *testing.T, f *front) {
				next := make(chan struct{})
				o := newOrigin(t, "o", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/event-stream")
					fmt.Fprint(w, "data: first\n\n")
					w.(http.Flusher).Flush()
					select {
					case <-next:
					case <-time.After(10 * time.Second):
					}
					fmt.Fprint(w, "data: second\n\n")
				})
				f.addCluster("c")
				f.addBackend("c", "b0", o.Addr)
				f.Must(order.UpdateCluster{ID: "c", Compression: order.Some(&order.Compression{
					Types: []string{"text/event-stream"}})})
				f.frontend(order.HTTPFrontend{Hostname: "z.test", ClusterID: "c"})
				req := f.request("GET", "z.test", "/", nil)
				req.Header.Set("Accept-Encoding", enc)
				resp, err := f.hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.Header.Get("Content-Encoding") != enc {
					t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
				}
				var r io.Reader
				switch enc {
				case "gzip":
					zr, err := gzip.NewReader(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					r = zr
				case "zstd":
					zr, err := zstd.NewReader(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					defer zr.Close()
					r = zr
				case "br":
					r = brotli.NewReader(resp.Body)
				}
				line, err := bufio.NewReader(r).ReadString('\n')
				if err != nil || line != "data: first\n" {
					t.Fatalf("first event: %q, %v", line, err)
				}
				close(next)
			})
		})
	}
}

func TestFrontsRetries(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		// flaky drops every other connection after reading its request.
		var conns atomic.Int64
		flaky := newRawOrigin(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				lines, err := readHead(br)
				if err != nil {
					return
				}
				if conns.Add(1)%2 == 1 {
					return // closes without an answer
				}
				if n, _ := strconv.Atoi(firstOr(headerValues(lines, "Content-Length"))); n > 0 {
					io.CopyN(io.Discard, br, int64(n))
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
		f.route("flaky.test", flaky.Addr)
		steps := []struct {
			method string
			body   string
			status int
		}{
			{"GET", "", 200},        // a new connection failed: sent again
			{"PUT", "small", 200},   // idempotent, its body sent whole
			{"DELETE", "", 200},     // idempotent
			{"POST", "form=1", 502}, // not idempotent: never twice
			{"POST", "form=1", 200}, // (the next connection answers)
		}
		for i, s := range steps {
			var body io.Reader
			if s.body != "" {
				body = strings.NewReader(s.body)
			}
			resp, b := f.send(f.request(s.method, "flaky.test", "/", body))
			if resp.StatusCode != s.status {
				t.Errorf("step %d %s: %d, want %d: %s", i, s.method, resp.StatusCode, s.status, b)
			}
		}

		// Status retries: one backend answers 503, the other 200.
		var failed atomic.Int64
		bad := newOrigin(t, "bad", func(w http.ResponseWriter, r *http.Request) {
			failed.Add(1)
			w.WriteHeader(503)
		})
		good := newOrigin(t, "good", nil)
		f.route("retry.test", bad.Addr, good.Addr)
		f.Must(order.UpdateCluster{ID: "c-retry_test", Retry: order.Some(&order.Retry{Attempts: 2, OnStatus: []int{503},
			Backoff: order.Duration(time.Millisecond)})})
		for i := range 6 {
			resp, b := f.get("retry.test", "/")
			if resp.StatusCode != 200 || !strings.HasPrefix(b, "good") {
				t.Errorf("request %d: %d %q, want good's 200", i, resp.StatusCode, b)
			}
		}
		if failed.Load() == 0 {
			t.Errorf("the failing backend was never tried")
		}
		// A PUT with a body that came apart from its head is held whole
		// (it is small) and retried too.
		req := f.request("PUT", "retry.test", "/", io.MultiReader(strings.NewReader("part one, "), slowReader("part two")))
		req.ContentLength = int64(len("part one, part two"))
		if resp, b := f.send(req); resp.StatusCode != 200 {
			t.Errorf("PUT with a slow body: %d %s", resp.StatusCode, b)
		}
		// POST is not retried: the backend's 503 reaches the client
		// when it is picked.
		saw503 := false
		for range 6 {
			if resp, _ := f.send(f.request("POST", "retry.test", "/", strings.NewReader("x"))); resp.StatusCode == 503 {
				saw503 = true
			}
		}
		if !saw503 {
			t.Errorf("a POST was retried")
		}
	})
}

func firstOr(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// slowReader gives s after a pause, so that a body comes apart from its
// head.
type slowReaderT struct {
	s    string
	done bool
}

func slowReader(s string) io.Reader { return &slowReaderT{s: s} }

func (r *slowReaderT) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	time.Sleep(50 * time.Millisecond)
	r.done = true
	return copy(p, r.s), nil
}

func TestFrontsMaglev(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		var os []*origin
		for i := range 4 {
			os = append(os, newOrigin(t, fmt.Sprintf("o%d", i), nil))
		}
		id := f.route("m.test", os[0].Addr, os[1].Addr, os[2].Addr, os[3].Addr)
		f.Must(order.UpdateCluster{ID: id, LoadBalancing: order.Some(order.Maglev),
			HashKey: order.Some(&order.HashKey{Source: order.HashHeader, Name: "X-User"})})
		owner := map[string]string{}
		used := map[string]bool{}
		for round := range 3 {
			for u := range 40 {
				user := fmt.Sprintf("user-%d", u)
				req := f.request("GET", "m.test", "/", nil)
				req.Header.Set("X-User", user)
				resp, body := f.send(req)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d", user, resp.StatusCode)
				}
				name, _, _ := strings.Cut(body, " ")
				if round == 0 {
					owner[user] = name
					used[name] = true
				} else if owner[user] != name {
					t.Errorf("%s went to %s, then to %s", user, owner[user], name)
				}
			}
		}
		if len(used) < 3 {
			t.Errorf("40 users on %d backends of 4", len(used))
		}
		// Cookie keys: the same cookie, the same backend.
		f.Must(order.UpdateCluster{ID: id, HashKey: order.Some(&order.HashKey{Source: order.HashCookie, Name: "sid"})})
		first := ""
		for i := range 10 {
			req := f.request("GET", "m.test", "/", nil)
			req.Header.Set("Cookie", "a=1; sid=abc")
			_, body := f.send(req)
			name, _, _ := strings.Cut(body, " ")
			if i == 0 {
				first = name
			} else if name != first {
				t.Errorf("cookie sid=abc went to %s then %s", first, name)
			}
		}
	})
}

func TestFrontsHealthFailOpen(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		o := newOrigin(t, "o", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" {
				w.WriteHeader(500)
				return
			}
			fmt.Fprint(w, "served")
		})
		hc := &order.HealthCheck{Path: "/health", Interval: order.Duration(100 * time.Millisecond), Fall: 1, Rise: 1}
		id := f.route("h.test", o.Addr)
		f.Must(order.UpdateCluster{ID: id, HealthCheck: order.Some(hc)})
		eventually(t, 5*time.Second, "every backend down: 503", func() bool {
			resp, _ := f.get("h.test", "/")
			return resp.StatusCode == 503
		})
		open := *hc
		open.FailOpen = true
		f.Must(order.UpdateCluster{ID: id, HealthCheck: order.Some(&open)})
		eventually(t, 5*time.Second, "fail-open: served by the failing backend", func() bool {
			resp, body := f.get("h.test", "/")
			return resp.StatusCode == 200 && body == "served"
		})
	})
}

// TestFrontsPolicyToH2CBackends: compression, basic auth (the
// Authorization field stripped) and maglev work the same when the cluster
// speaks h2c to its backends.
func TestFrontsPolicyToH2CBackends(t *testing.T) {
	bh, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	eachFront(t, func(t *testing.T, f *front) {
		o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-Auth-Seen", r.Header.Get("Authorization"))
			w.Write(text)
		}))
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		o.Config.Protocols = &p
		o.Start()
		t.Cleanup(o.Close)
		f.Must(order.AddCluster{Cluster: order.Cluster{ID: "h2c", HTTP2: true, LoadBalancing: order.Maglev,
			Compression: &order.Compression{}}})
		f.addBackend("h2c", "b0", o.Listener.Addr().String())
		f.frontend(order.HTTPFrontend{Hostname: "z.test", ClusterID: "h2c",
			BasicAuth: &order.BasicAuth{Users: map[string]string{"u": string(bh)}}})
		if resp, _ := f.get("z.test", "/"); resp.StatusCode != 401 {
			t.Fatalf("without credentials: %d", resp.StatusCode)
		}
		for _, enc := range []string{"gzip", "zstd", "br", ""} {
			req := f.request("GET", "z.test", "/", nil)
			req.Header.Set("Authorization", basic("u", "pw"))
			if enc != "" {
				req.Header.Set("Accept-Encoding", enc)
			}
			resp, body := f.send(req)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != enc {
				t.Errorf("%q: %d, Content-Encoding %q", enc, resp.StatusCode, resp.Header.Get("Content-Encoding"))
				continue
			}
			if resp.Header.Get("X-Auth-Seen") != "" {
				t.Errorf("the backend saw Authorization %q", resp.Header.Get("X-Auth-Seen"))
			}
			if !bytes.Equal(decode(t, enc, []byte(body)), text) {
				t.Errorf("%q: the body differs", enc)
			}
		}
	})
}
