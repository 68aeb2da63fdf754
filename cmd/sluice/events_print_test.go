package main

import (
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

func TestPrintEvent(t *testing.T) {
	for _, c := range []struct {
		ev   order.Event
		want string
	}{
		{order.Event{Kind: order.BackendDown, Time: "T", ClusterID: "api", BackendID: "b1", Address: "10.0.0.1:80", Reason: "health check"},
			"T  backend_down  api/b1  10.0.0.1:80  (health check)\n"},
		{order.Event{Kind: order.OCSPFailed, Time: "T", Address: "0.0.0.0:443", Fingerprint: "3f9a", Reason: "status 500"},
			"T  ocsp_failed  certificate 3f9a  0.0.0.0:443  (status 500)\n"},
		{order.Event{Kind: order.ACMEObtained, Time: "T", Address: "0.0.0.0:443", Hostname: "shop.test", Fingerprint: "3f9a", Reason: "obtained"},
			"T  acme_obtained  host shop.test certificate 3f9a  0.0.0.0:443  (obtained)\n"},
		{order.Event{Kind: order.ACMEFailed, Time: "T", Address: "0.0.0.0:443", Hostname: "*.shop.test", Reason: "wildcard"},
			"T  acme_failed  host *.shop.test  0.0.0.0:443  (wildcard)\n"},
	} {
		var b strings.Builder
		printEvent(&b, &c.ev)
		if b.String() != c.want {
			t.Errorf("printEvent = %q, want %q", b.String(), c.want)
		}
	}
}
