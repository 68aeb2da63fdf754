package admin

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/sluiceproxy/sluice/order"
)

//go:embed placeholder
var placeholder embed.FS

// placeholderFS is the page served at / until a dashboard is given.
func placeholderFS() fs.FS {
	sub, err := fs.Sub(placeholder, "placeholder")
	if err != nil {
		panic(err) // the embedded folder exists: a build error otherwise
	}
	return sub
}

// serveUI serves Config.UI at / (index.html for a folder). The files are
// public: the page asks the API for everything, with a token.
func (s *Server) serveUI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	http.FileServerFS(s.cfg.UI).ServeHTTP(w, r)
}

// servePrometheus serves the registry's Prometheus text.
func (s *Server) servePrometheus(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Prometheus == nil {
		writeError(w, http.StatusNotFound, order.CodeNotFound, "this proxy keeps no metrics ([metrics] enabled = false)")
		return
	}
	s.cfg.Prometheus.ServeHTTP(w, r)
}

// openSession answers POST /api/session {"token": "..."}: a good token
// is set in an HttpOnly, SameSite=Strict cookie for /api/, so that a
// browser page (and its EventSource) is authenticated as the token is.
// A wrong token is answered 401.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, order.CodeInvalid, `invalid request: the body is {"token": "..."}: `+order.DescribeDecodeError(err))
		return
	}
	kind := "write"
	switch s.cfg.Tokens.match(in.Token) {
	case denied:
		if !s.cfg.Tokens.None() {
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "wrong token")
			return
		}
		kind = "none needed"
	case readOnly:
		kind = "read-only"
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: in.Token, Path: "/api/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, order.Response{Status: order.StatusOK, Message: "session opened: " + kind + " token"})
}

// closeSession answers DELETE /api/session: the cookie is cleared.
func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/api/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, order.Response{Status: order.StatusOK, Message: "session closed"})
}
