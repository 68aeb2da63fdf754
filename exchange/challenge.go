package exchange

import (
	"bytes"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// Challenges answers the ACME CA's HTTP-01 validation requests (RFC 8555
// §8.3): the key authorization of a token in progress. The proxy's
// *acme.Challenges implements it; Env.Challenges is nil without ACME.
type Challenges interface {
	HTTP01(token []byte) (keyAuth string, ok bool)
}

// challengePrefix is the path of HTTP-01 tokens.
var challengePrefix = []byte("/.well-known/acme-challenge/")

// challenge returns the key authorization that answers req on a plain
// http listener: a GET or HEAD of /.well-known/acme-challenge/TOKEN for a
// token in progress. Other requests under that path (a token the proxy
// did not present: a backend's own ACME client) are routed as usual.
func challenge(ch Challenges, proto string, req *Request) (string, bool) {
	if ch == nil || proto != "http" || !bytes.HasPrefix(req.Path, challengePrefix) {
		return "", false
	}
	if m := string(req.Method); m != "GET" && m != "HEAD" {
		return "", false
	}
	return ch.HTTP01(req.Path[len(challengePrefix):])
}

var (
	nameContentType = []byte("Content-Type")
	textPlain       = []byte("text/plain")
)

// answerChallenge answers an HTTP-01 validation request with its key
// authorization (Decision.Challenge), 200 text/plain.
func (x *Exchange) answerChallenge() Result {
	body := []byte(x.dec.Challenge)
	fs := append(x.fields[:0], h1.Header{Name: nameContentType, Value: textPlain})
	fs = x.appendOwn(fs)
	x.fields = fs
	return x.sendOwn(200, []byte("OK"), body)
}
