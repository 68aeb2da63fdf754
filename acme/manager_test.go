package acme_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/internal/pebbletest"
)

// validators serve a Challenges the way the proxy's listeners do, with
// net/http and crypto/tls: HTTP-01 tokens on one port, TLS-ALPN-01
// certificates on another.
type validators struct {
	httpPort, tlsPort int
	close             func()
}

func serveChallenges(t *testing.T, ch *acme.Challenges) validators {
	t.Helper()
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ka, ok := ch.HTTP01([]byte(strings.TrimPrefix(r.URL.Path, acme.HTTP01Prefix)))
		if !ok || !strings.HasPrefix(r.URL.Path, acme.HTTP01Prefix) {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(ka))
	})}
	go hs.Serve(hl)
	tl, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		NextProtos: []string{acme.ALPNProto},
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return ch.TLSALPN01(h.ServerName), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.(*tls.Conn).Handshake()
				c.Close()
			})
		}
	})
	return validators{
		httpPort: hl.Addr().(*net.TCPAddr).Port, tlsPort: tl.Addr().(*net.TCPAddr).Port,
		close: func() { hs.Close(); tl.Close(); wg.Wait() },
	}
}

type reports struct {
	mu sync.Mutex
	rs []acme.Report
	ch chan acme.Report
}

func (r *reports) report(ctx context.Context, rep acme.Report) {
	select {
	case r.ch <- rep:
	case <-ctx.Done():
	}
}

func (r *reports) next(t *testing.T) acme.Report {
	t.Helper()
	select {
	case rep := <-r.ch:
		return rep
	case <-time.After(20 * time.Second):
		t.Fatal("no report within 20s")
	}
	return acme.Report{}
}

// TestManagerObtainsRenewsAndReloads obtains a certificate from pebble by
// each challenge type, sees it renewed at two thirds of its lifetime,
// stored 0600 in a 0700 folder, and loaded from disk by a new manager.
func TestManagerObtainsRenewsAndReloads(t *testing.T) {
	ch := acme.NewChallenges()
	v := serveChallenges(t, ch)
	t.Cleanup(v.close) // after the parallel subtests
	peb := pebbletest.Start(t, pebbletest.Options{HTTPPort: v.httpPort, TLSPort: v.tlsPort, Validity: 3 * time.Second})
	t.Cleanup(func() { // after the parallel subtests
		if ch.Pending() != 0 {
			t.Errorf("%d challenges left behind", ch.Pending())
		}
	})
	for _, typ := range []string{acme.HTTP01, acme.TLSALPN01} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			name := typ + ".example.com"
			dir := filepath.Join(t.TempDir(), "acme")
			o := acme.Options{Directory: peb.Directory, Storage: dir, AgreeTerms: true, Email: "ops@example.com",
				Challenges: []string{typ}, HTTPClient: peb.HTTPClient()}
			r := &reports{ch: make(chan acme.Report)}
			m, err := acme.New(o, ch, r.report)
			if err != nil {
				t.Fatal(err)
			}
			m.Sync([]string{name})
			first := r.next(t)
			if first.Err != nil || first.Cert == nil || first.FromDisk || first.Challenge != typ {
				t.Fatalf("first report: %+v", first)
			}
			verify(t, peb, first.Cert, name)
			life := first.Cert.Leaf.NotAfter.Sub(first.Cert.Leaf.NotBefore)
			if want := acme.RenewAt(first.Cert.Leaf.NotBefore, first.Cert.Leaf.NotAfter); !first.Next.Equal(want) || life > 4*time.Second {
				t.Fatalf("next %v, want %v (life %v)", first.Next, want, life)
			}
			second := r.next(t) // the renewal, about 2 s later
			if second.Err != nil || second.Cert == nil || second.Cert.Leaf.SerialNumber.Cmp(first.Cert.Leaf.SerialNumber) == 0 {
				t.Fatalf("renewal: %+v", second)
			}
			if time.Now().Before(first.Next) {
				t.Fatalf("renewed before %v", first.Next)
			}
			m.Close()
			checkModes(t, dir)

			// A new manager serves the stored certificate first.
			m2, err := acme.New(o, ch, r.report)
			if err != nil {
				t.Fatal(err)
			}
			m2.Sync([]string{name})
			again := r.next(t)
			m2.Close()
			if !again.FromDisk || again.Cert == nil || again.Cert.Leaf.SerialNumber.Cmp(second.Cert.Leaf.SerialNumber) != 0 {
				t.Fatalf("after restart: %+v", again)
			}
		})
	}
}

// checkModes checks that every folder under dir is 0700 and every file
// 0600.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700 | os.ModeDir
		} else {
			n++
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
		return nil
	})
	if err != nil || n != 4 { // account.key, account.json, NAME.crt, NAME.key
		t.Fatalf("walk: %v, %d files", err, n)
	}
}
