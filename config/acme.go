package config

import (
	"crypto/x509"
	"encoding/pem"
	"net/mail"
	"net/url"
	"strings"

	"github.com/sluiceproxy/sluice/acme"
)

// DefaultACMEStorage is the folder of the ACME account and certificates,
// next to the file, when [acme] gives no storage.
const DefaultACMEStorage = "acme"

// acmeSection reads the [acme] table into the proxy's ACME options (nil
// without the table):
//
//	[acme]
//	email = "ops@example.com"     # the account's contact (optional, recommended)
//	directory = "https://acme-v02.api.letsencrypt.org/directory"   # the CA; default Let's Encrypt production
//	ca = "certs/ca.pem"           # CA bundle trusted for the directory's TLS; default the system's roots
//	storage = "acme"              # folder of the account key and certificates (0700, files 0600); default "acme" next to the file
//	agree_terms = true            # agree to the CA's terms of service; required
//	challenges = ["tls-alpn-01", "http-01"]   # the types answered, first one first; default both, in this order
//
// Listeners ask for certificates with acme = true (see listenerTLS).
func (l *loader) acmeSection(t *table) *acme.Options {
	a := t.sub("acme")
	if a == nil {
		return nil
	}
	defer a.done()
	o := &acme.Options{Email: a.str("email"), Directory: acme.LetsEncrypt}
	if o.Email != "" {
		if addr, err := mail.ParseAddress(o.Email); err != nil || addr.Address != o.Email || addr.Name != "" {
			a.errKey("email", "%q is not an email address (name@domain)", o.Email)
		}
	}
	if d := a.str("directory"); a.has("directory") {
		u, err := url.Parse(d)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			a.errKey("directory", "%q is not an https:// URL (RFC 8555 requires HTTPS)", d)
		}
		o.Directory = d
	}
	if _, b, ok := l.readFile(a, "ca"); ok {
		if err := checkBundle(b); err != "" {
			a.errKey("ca", "%s", err)
		}
		o.CA = string(b)
	}
	o.Storage = l.path(a, "storage", DefaultACMEStorage)
	if a.has("agree_terms") {
		o.AgreeTerms = a.boolean("agree_terms")
	}
	const terms = "agree_terms = true is required: certificate authorities (Let's Encrypt first) issue only to accounts that agree to their terms of service"
	switch {
	case !a.has("agree_terms"):
		a.errTable(terms)
	case !o.AgreeTerms:
		a.errKey("agree_terms", terms)
	}
	if list := a.strings("challenges"); list != nil || a.has("challenges") {
		items := a.v.fields["challenges"].items
		seen := map[string]bool{}
		for i, c := range list {
			switch {
			case c != acme.HTTP01 && c != acme.TLSALPN01:
				a.ps.add(items[i].at, "%s[%d]: %q is not %s or %s", a.keyPath("challenges"), i, c, acme.TLSALPN01, acme.HTTP01)
			case seen[c]:
				a.ps.add(items[i].at, "%s[%d]: %q is listed twice", a.keyPath("challenges"), i, c)
			}
			seen[c] = true
		}
		if len(list) == 0 {
			a.errKey("challenges", "empty: list %s, %s or both", acme.TLSALPN01, acme.HTTP01)
		}
		o.Challenges = list
	}
	return o
}

// checkBundle says what is wrong with a CA bundle ("" when nothing).
func checkBundle(b []byte) string {
	n := 0
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			if strings.TrimSpace(string(rest)) != "" {
				return "text after the last certificate is not PEM"
			}
			break
		}
		if blk.Type != "CERTIFICATE" {
			return "holds a " + blk.Type + " block; a CA bundle holds certificates only"
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return err.Error()
		}
		n++
	}
	if n == 0 {
		return "no PEM certificate found"
	}
	return ""
}
