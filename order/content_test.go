package order_test

import (
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestOmitKeys: every key is replaced and the dump marked, without touching
// the certificates the content shares with its source.
func TestOmitKeys(t *testing.T) {
	shared := &order.CertificateAndKey{Certificate: "CERT", Key: "KEY"}
	l := order.Listener{Protocol: order.HTTPS, Address: "127.0.0.1:443", Certificate: shared}
	c := &order.Content{
		Listeners: []order.Listener{l},
		State: &order.State{Listeners: []order.Listener{l},
			Certificates: []order.AddCertificate{{Address: l.Address, Certificate: *shared}}},
	}
	c.OmitKeys()
	if c.Listeners[0].Certificate.Key != order.OmittedKey || c.State.Listeners[0].Certificate.Key != order.OmittedKey ||
		c.State.Certificates[0].Certificate.Key != order.OmittedKey || !c.State.KeysOmitted {
		t.Errorf("keys left: %+v %+v", c.Listeners[0].Certificate, c.State)
	}
	if shared.Key != "KEY" || c.Listeners[0].Certificate.Certificate != "CERT" {
		t.Errorf("the shared certificate was modified: %+v", shared)
	}
	ck := order.CertificateAndKey{Certificate: "-----BEGIN CERTIFICATE-----", Key: order.OmittedKey}
	if ck.Validate() == nil {
		t.Error("an omitted key passes as a key")
	}
}
