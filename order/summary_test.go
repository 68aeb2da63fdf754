package order_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// futureOrder stands for an order added after Summary was written.
type futureOrder struct {
	order.Backend
	Weight *int `json:"weight,omitempty"`
}

func (futureOrder) Kind() order.Kind { return "update_backend" }
func (futureOrder) Validate() error  { return nil }

func TestSummary(t *testing.T) {
	leaf := testcert.NewCA().Leaf([]string{"shop.test"}, testcert.Options{})
	sum := sha256.Sum256(leaf.X509.Raw)
	fp := hex.EncodeToString(sum[:])
	ck := order.CertificateAndKey{Certificate: leaf.Cert, Key: leaf.Key}
	cases := []struct {
		o    order.Order
		want string
	}{
		{order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "shop-3", Address: "127.0.0.1:3002", Weight: 5}},
			"[cluster shop backend shop-3 address 127.0.0.1:3002]"},
		{order.RemoveBackend{ClusterID: "shop", ID: "shop-3"}, "[cluster shop backend shop-3]"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.test", Path: "/api", ClusterID: "shop"}},
			"[address 127.0.0.1:80 hostname a.test path_type prefix path /api cluster shop]"},
		{order.RemoveHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:443", Hostname: "*", Method: "GET"}},
			"[address 127.0.0.1:443 hostname * method GET]"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.test", Deny: true}},
			"[address 127.0.0.1:80 hostname a.test deny true]"},
		{order.AddCertificate{Address: "127.0.0.1:443", Certificate: ck}, "[address 127.0.0.1:443 fingerprint " + fp + "]"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTPS, Address: ":443", Certificate: &ck}},
			"[address :443 protocol https active false]"},
		{order.Status{}, "[]"},
		{order.Shutdown{Hard: true}, "[hard true]"},
		{futureOrder{Backend: order.Backend{ClusterID: "shop", ID: "shop-3"}}, "[cluster_id shop id shop-3]"},
	}
	for _, c := range cases {
		got := fmt.Sprint(order.Summary(c.o))
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.o.Kind(), got, c.want)
		}
		if strings.Contains(got, "PRIVATE KEY") || strings.Contains(got, "BEGIN") {
			t.Errorf("%s: the summary holds PEM: %s", c.o.Kind(), got)
		}
	}
}
