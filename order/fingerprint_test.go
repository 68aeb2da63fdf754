package order_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

func TestFingerprintForms(t *testing.T) {
	hexFP := strings.Repeat("ab", 31) + "0f"
	openssl := strings.TrimSuffix(strings.Repeat("AB:", 31), ":") + ":0F"
	for _, in := range []string{hexFP, strings.ToUpper(hexFP), openssl, "SHA256 Fingerprint=" + openssl, " sha256 fingerprint = " + openssl + "\n"} {
		if got := order.NormalizeFingerprint(in); got != hexFP {
			t.Errorf("%q: %q", in, got)
		}
		if !order.IsFingerprint(in) {
			t.Errorf("%q: not a fingerprint", in)
		}
	}
	for _, bad := range []string{"ab", "AB:CD", hexFP[:63] + "g", openssl[:len(openssl)-1], "ab:" + hexFP, strings.ReplaceAll(openssl, ":", "-"), "SHA1 Fingerprint=" + openssl} {
		if order.IsFingerprint(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	var req order.Request
	line := `{"id":"1","kind":"replace_certificate","order":{"address":"127.0.0.1:443","old_fingerprint":"` + openssl + `","certificate":{"certificate":"C","key":"K"}}}`
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		t.Fatal(err)
	}
	if got := req.Order.(order.ReplaceCertificate).OldFingerprint; got != hexFP {
		t.Errorf("decoded %q", got)
	}
}
