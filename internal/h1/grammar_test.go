package h1

import "testing"

// TestOriginTarget: the :path rules of HTTP/2 are the request line's.
func TestOriginTarget(t *testing.T) {
	for _, tc := range []struct {
		method, target, path string
		status               int // 0: accepted
	}{
		{"GET", "/", "/", 0},
		{"GET", "/a/b?c=d", "/a/b", 0},
		{"GET", "/%20x", "/%20x", 0},
		{"OPTIONS", "*", "*", 0},
		{"GET", "*", "", 400},
		{"GET", "", "", 400},
		{"GET", "x", "", 400},
		{"GET", "http://h/x", "", 400},
		{"GET", "//h/x", "//h/x", 0},
		{"GET", "/x y", "", 400},
		{"GET", "/x\ty", "", 400},
		{"GET", "/x\r\nHost: y", "", 400},
		{"GET", "/x\x00", "", 400},
		{"GET", "/x\x7f", "", 400},
		{"GET", "/x\x80", "", 400},
	} {
		path, err := OriginTarget([]byte(tc.method), []byte(tc.target))
		switch {
		case tc.status == 0 && (err != nil || string(path) != tc.path):
			t.Errorf("%s %q: %q %v", tc.method, tc.target, path, err)
		case tc.status != 0 && (err == nil || err.(*Error).Status != tc.status):
			t.Errorf("%s %q: accepted (%q), want %d", tc.method, tc.target, path, tc.status)
		}
	}
}

func TestFieldGrammar(t *testing.T) {
	for m, ok := range map[string]bool{"GET": true, "M-SEARCH": true, "": false, "GET /": false, "G\r": false} {
		if ValidMethod([]byte(m)) != ok {
			t.Errorf("method %q: %v", m, !ok)
		}
	}
	for v, ok := range map[string]bool{"": true, "a b": true, "a\tb": true, "\xff": true,
		" a": false, "a ": false, "a\r\nb": false, "a\x00": false, "a\nb": false, "\x7f": false} {
		if ValidFieldValue([]byte(v)) != ok {
			t.Errorf("value %q: %v", v, !ok)
		}
	}
	for h, ok := range map[string]bool{"a.test": true, "a.test:80": true, "[::1]:8": true,
		"": false, "a b": false, "u@a": false, "a:": false, "a:x": false} {
		if ValidHost([]byte(h)) != ok {
			t.Errorf("host %q: %v", h, !ok)
		}
	}
}
