package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/order"
)

// maxFileSize bounds every file the configuration names (answers,
// certificates, keys, chains): 1 MiB.
const maxFileSize = 1 << 20

// answerCodes are the statuses whose answer an answer_NNN key replaces.
var answerCodes = []string{"301", "400", "403", "404", "408", "413", "421", "429", "502", "503", "504"}

// resolve makes a path from the configuration absolute, relative to the
// configuration file's folder.
func (l *loader) resolve(name string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	return filepath.Join(l.dir, name)
}

// readFile reads the file named by the string at key. It reports problems
// at the key's value and returns ok false then, or when the key is absent.
func (l *loader) readFile(t *table, key string) (name string, content []byte, ok bool) {
	v := t.get(key, kString)
	if v == nil {
		return "", nil, false
	}
	if name = v.str; name == "" {
		t.errKey(key, "empty file name")
		return "", nil, false
	}
	// Stat first: opening a FIFO or a device could block or never end.
	fi, err := os.Stat(l.resolve(name))
	if err != nil {
		t.errKey(key, "%v", err)
		return name, nil, false
	}
	if !fi.Mode().IsRegular() {
		t.errKey(key, "%s is not a regular file", l.resolve(name))
		return name, nil, false
	}
	f, err := os.Open(l.resolve(name))
	if err != nil {
		t.errKey(key, "%v", err)
		return name, nil, false
	}
	defer f.Close()
	content, err = io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		t.errKey(key, "read %s: %v", l.resolve(name), err)
		return name, nil, false
	}
	if len(content) > maxFileSize {
		t.errKey(key, "%s is larger than %d bytes", name, maxFileSize)
		return name, nil, false
	}
	return name, content, true
}

// answers reads the answer_NNN keys of t: each names a file whose content
// replaces the default answer for status NNN. Other answer_ keys are left
// for done to report as unknown. It returns nil when there are none.
func (l *loader) answers(t *table) map[string]string {
	var out map[string]string
	for _, k := range t.v.keys {
		code, ok := strings.CutPrefix(k, "answer_")
		if !ok || !slices.Contains(answerCodes, code) {
			continue
		}
		name, content, ok := l.readFile(t, k)
		if !ok {
			continue
		}
		if !utf8.Valid(content) {
			t.errKey(k, "%s is not UTF-8 text", name)
			continue
		}
		if _, err := answer.Compile(map[string]string{code: string(content)}); err != nil {
			t.errKey(k, "%s: %v", name, err)
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[code] = string(content)
	}
	return out
}

// certificate reads the certificate, key and certificate_chain keys of t,
// and names when withNames is set. present says whether any of them is
// set; c is nil when none is or when a problem was reported. The
// certificate must parse and not have expired, the key must be a PEM
// private key matching it, and the chain must hold only certificates.
func (l *loader) certificate(t *table, withNames bool) (c *order.CertificateAndKey, present bool) {
	keys := []string{"certificate", "key", "certificate_chain"}
	if withNames {
		keys = append(keys, "names")
	}
	for _, k := range keys {
		present = present || t.has(k)
	}
	if !present {
		return nil, false
	}
	var names []string
	if withNames {
		names = t.strings("names")
	}
	if !t.has("certificate") || !t.has("key") {
		var missing []string
		for _, k := range []string{"certificate", "key"} {
			if !t.has(k) {
				missing = append(missing, k)
			}
		}
		reported := false
		for _, k := range keys {
			if t.has(k) && !reported {
				t.errKey(k, "needs %s too (a certificate is certificate + key, with an optional certificate_chain)",
					strings.Join(missing, " and "))
				reported = true
			}
			t.used[k] = t.used[k] || t.has(k)
		}
		return nil, true
	}
	certName, certPEM, certOK := l.readFile(t, "certificate")
	keyName, keyPEM, keyOK := l.readFile(t, "key")
	chainName, chainPEM, chainOK := l.readFile(t, "certificate_chain")
	if !certOK || !keyOK || (t.has("certificate_chain") && !chainOK) {
		return nil, true
	}
	leaf, err := firstCertificate(certPEM)
	if err != nil {
		t.errKey("certificate", "%s: %v", certName, err)
		return nil, true
	}
	if l.now.After(leaf.NotAfter) {
		t.errKey("certificate", "%s expired on %s", certName, leaf.NotAfter.UTC().Format("2006-01-02 15:04:05 MST"))
		return nil, true
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.errKey("key", "%s does not go with certificate %s: %v", keyName, certName, err)
		return nil, true
	}
	c = &order.CertificateAndKey{Certificate: string(certPEM), Key: string(keyPEM), Names: names}
	if chainOK {
		chain, err := splitChain(chainPEM)
		if err != nil {
			t.errKey("certificate_chain", "%s: %v", chainName, err)
			return nil, true
		}
		c.Chain = chain
	}
	return c, true
}

// firstCertificate parses the first PEM CERTIFICATE block of data.
func firstCertificate(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("no PEM certificate found")
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid certificate: %v", err)
			}
			return c, nil
		}
	}
}

// splitChain returns each certificate of a PEM chain file as its own PEM
// text; anything but CERTIFICATE blocks is an error.
func splitChain(data []byte) ([]string, error) {
	var out []string
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("holds a %q block; a chain holds only certificates", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, fmt.Errorf("invalid certificate %d: %v", len(out)+1, err)
		}
		out = append(out, string(pem.EncodeToMemory(b)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return out, nil
}
