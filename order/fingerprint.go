package order

import "strings"

// NormalizeFingerprint returns a certificate fingerprint in the form the
// proxy lists and keys certificates by: lower-case hex without separators.
// It accepts that form and OpenSSL's (`openssl x509 -fingerprint -sha256`:
// upper-case pairs joined by colons, "AB:CD:..."), with or without its
// "SHA256 Fingerprint=" prefix. Anything else is returned lower-cased, for
// Validate to refuse.
func NormalizeFingerprint(fp string) string {
	fp = strings.TrimSpace(fp)
	if i := strings.IndexByte(fp, '='); i >= 0 && strings.EqualFold(strings.TrimSpace(fp[:i]), "sha256 fingerprint") {
		fp = strings.TrimSpace(fp[i+1:])
	}
	if len(fp) == 3*32-1 {
		pairs := true
		for i := 2; i < len(fp); i += 3 {
			pairs = pairs && fp[i] == ':'
		}
		if pairs {
			fp = strings.ReplaceAll(fp, ":", "")
		}
	}
	return strings.ToLower(fp)
}

// IsFingerprint reports whether fp is a SHA-256 fingerprint in one of the
// forms NormalizeFingerprint takes. The orders do not insist (a fingerprint
// that matches no certificate is refused, naming it); the CLI does, to
// catch a mistyped one before it is sent.
func IsFingerprint(fp string) bool {
	n := NormalizeFingerprint(fp)
	return len(n) == 64 && strings.Trim(n, "0123456789abcdef") == ""
}

// Normalize returns o with its values in the proxy's canonical form:
// certificate fingerprints as NormalizeFingerprint gives them. Other
// orders are returned as they are. Decoding a Request normalizes its
// order; the proxy normalizes the orders it reads from its channel.
func Normalize(o Order) Order {
	switch o := o.(type) {
	case ReplaceCertificate:
		o.OldFingerprint = NormalizeFingerprint(o.OldFingerprint)
		return o
	case RemoveCertificate:
		o.Fingerprint = NormalizeFingerprint(o.Fingerprint)
		return o
	}
	return o
}
