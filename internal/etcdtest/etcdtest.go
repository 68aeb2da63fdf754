// Package etcdtest runs an etcd server inside the process, on loopback
// ports of its own and a data folder it is given, for tests and benches of
// fleet mode: nothing needs to be installed. Only test binaries and bench
// programs import it, so the sluice binary does not carry etcd's server.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Server is one embedded etcd member. Stop and Start may alternate (an
// outage): it comes back on the same ports with the same data.
type Server struct {
	dir          string
	client, peer url.URL // etcd's own ports
	front        front   // the clients' port
	o            Options
	e            *embed.Etcd
}

// Options shape the member's client port. The zero value: plain HTTP, no
// client certificates.
type Options struct {
	// CertFile and KeyFile (PEM) make the client port TLS: a server
	// certificate valid for 127.0.0.1.
	CertFile, KeyFile string
	// ClientCAFile (PEM), with TLS, turns on etcd's --client-cert-auth:
	// a client must show a certificate signed by this CA.
	ClientCAFile string
}

// New picks two free loopback ports and starts etcd with its data in dir
// (a t.TempDir()). Its logs are discarded; raft ticks every 10 ms, so a
// start elects the member within about 100 ms.
func New(dir string) (*Server, error) { return NewWith(dir, Options{}) }

// NewWith is New with options (TLS, client certificates).
func NewWith(dir string, o Options) (*Server, error) {
	s := &Server{dir: dir, o: o}
	var ffront url.URL
	for _, u := range []*url.URL{&s.client, &s.peer, &ffront} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		*u = url.URL{Scheme: "http", Host: ln.Addr().String()}
		ln.Close()
	}
	s.front = front{addr: ffront.Host, to: s.client.Host}
	return s, s.Start()
}

// Endpoint is the client URL ("http://127.0.0.1:PORT", https:// with
// TLS): a TCP relay to etcd's own port that Stop cuts at once (TLS passes
// through it, end to end).
func (s *Server) Endpoint() string {
	if s.o.CertFile != "" {
		return "https://" + s.front.addr
	}
	return "http://" + s.front.addr
}

// Start starts the member (again, after Stop) and waits until it serves.
func (s *Server) Start() error {
	cfg := embed.NewConfig()
	cfg.Name = "fleet-test"
	cfg.Dir = s.dir
	client := s.client
	if s.o.CertFile != "" {
		client.Scheme = "https"
		cfg.ClientTLSInfo = transport.TLSInfo{CertFile: s.o.CertFile, KeyFile: s.o.KeyFile,
			TrustedCAFile: s.o.ClientCAFile, ClientCertAuth: s.o.ClientCAFile != ""}
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{s.peer}, []url.URL{s.peer}
	cfg.InitialCluster = cfg.Name + "=" + s.peer.String()
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.TickMs, cfg.ElectionMs = 10, 100
	cfg.UnsafeNoFsync = true // a test's data need not survive a power cut
	// bcrypt's least cost (4): a password checked in a race build takes
	// milliseconds, not most of a second (EnableAuth).
	cfg.BcryptCost = 4
	var e *embed.Etcd
	var err error
	// The ports were free a moment ago; after a Stop the old sockets may
	// take a moment to go.
	for try := 0; try < 50; try++ {
		if e, err = embed.StartEtcd(cfg); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("etcdtest: start: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(20 * time.Second):
		e.Close()
		return fmt.Errorf("etcdtest: not ready after 20 s")
	}
	s.e = e
	return s.front.open()
}

// Stop cuts every client connection, refuses new ones and stops the
// member; clients see it unreachable until Start.
func (s *Server) Stop() {
	s.front.close()
	if s.e != nil {
		s.e.Close()
		s.e = nil
	}
}
