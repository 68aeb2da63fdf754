package etcdtest

import (
	"os"
	"path/filepath"

	"github.com/sluiceproxy/sluice/internal/testcert"
)

// WriteCerts makes two test CAs and writes into dir what a TLS etcd with
// client certificates and its clients need, and returns the Options that
// serve them: server.pem and server.key (etcd's certificate for
// 127.0.0.1), client-ca.pem (the CA etcd trusts for clients), and for
// the clients etcd-ca.pem (the CA of etcd's certificate), etcd-client.pem
// and etcd-client.key (a client certificate, common name edge-1).
func WriteCerts(dir string) (Options, error) {
	serverCA, clientCA := testcert.NewCA(), testcert.NewCA()
	server := serverCA.Leaf([]string{"127.0.0.1"}, testcert.Options{})
	client := clientCA.Leaf([]string{"edge-1"}, testcert.Options{Client: true})
	for name, pem := range map[string]string{
		"server.pem": server.Cert, "server.key": server.Key, "client-ca.pem": clientCA.PEM,
		"etcd-ca.pem": serverCA.PEM, "etcd-client.pem": client.Cert, "etcd-client.key": client.Key,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pem), 0o600); err != nil {
			return Options{}, err
		}
	}
	return Options{CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server.key"),
		ClientCAFile: filepath.Join(dir, "client-ca.pem")}, nil
}
