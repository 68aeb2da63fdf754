package staple

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/crypto/ocsp"
)

// maxResponse bounds the size of a responder's answer.
const maxResponse = 64 << 10

// newClient is the HTTP client of the fetches: no proxy from the
// environment, no redirects, no kept connections (fetches are hours
// apart), every fetch bounded by timeout.
func newClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true, ResponseHeaderTimeout: timeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// fetch asks the responder at rawURL about leaf (RFC 6960 over HTTP, a
// POST of the DER request) and returns the response's DER, not yet
// verified. Only http URLs are fetched: OCSP over https would need the
// certificates it checks.
func fetch(ctx context.Context, client *http.Client, rawURL string, leaf, issuer *x509.Certificate) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("OCSP responder %q: only http:// URLs are fetched", rawURL)
	}
	req, err := ocsp.CreateRequest(leaf, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return nil, fmt.Errorf("OCSP request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("OCSP request to %s: %w", rawURL, err)
	}
	hr.Header.Set("Content-Type", "application/ocsp-request")
	hr.Header.Set("Accept", "application/ocsp-response")
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("OCSP fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("OCSP fetch from %s: status %s", rawURL, resp.Status)
	}
	der, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("OCSP fetch from %s: reading the response: %w", rawURL, err)
	}
	if len(der) > maxResponse {
		return nil, fmt.Errorf("OCSP fetch from %s: response over %d bytes", rawURL, maxResponse)
	}
	return der, nil
}
