package answer

import (
	"net/http"
	"strings"
	"testing"
)

// field returns the value of the answer's field name ("" when absent).
func field(a *Answer, name string) string {
	for _, f := range a.Fields {
		if strings.EqualFold(string(f.Name), name) {
			return string(f.Value)
		}
	}
	return ""
}

func TestDefaultAnswers(t *testing.T) {
	id := []byte("abcd-0001")
	for _, status := range []int{301, 400, 403, 404, 408, 413, 414, 421, 429, 431, 501, 502, 503, 504, 505} {
		var a Answer
		Render(&a, nil, status, id, nil, nil)
		if a.Status != status || string(a.Reason) != http.StatusText(status) {
			t.Errorf("%d: got %d %q", status, a.Status, a.Reason)
		}
		body := string(a.Body)
		if !strings.Contains(body, "abcd-0001") || !strings.Contains(body, http.StatusText(status)) {
			t.Errorf("%d: body does not name the status and id: %s", status, body)
		}
		if field(&a, "Content-Type") != "text/html; charset=utf-8" || field(&a, "Cache-Control") != "no-cache" {
			t.Errorf("%d: fields %q", status, a.Fields)
		}
	}
	// A status without a page of its own still renders.
	var a Answer
	Render(&a, nil, 418, id, nil, nil)
	if a.Status != 418 || string(a.Reason) != "I'm a teapot" {
		t.Errorf("418: %d %q", a.Status, a.Reason)
	}
}

func TestReplacementAnswers(t *testing.T) {
	listener, err := Compile(map[string]string{
		"404": "<p>nothing here, %REQUEST_ID</p>",
		"503": "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Length: 999\r\nConnection: keep-alive\r\n\r\ndown (%REQUEST_ID)",
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := Compile(map[string]string{"503": "<p>cluster says %REQUEST_ID twice: %REQUEST_ID</p>"})
	if err != nil {
		t.Fatal(err)
	}
	var a Answer
	Render(&a, nil, 404, []byte("X1"), cluster, listener)
	if string(a.Body) != "<p>nothing here, X1</p>" || field(&a, "Content-Type") == "" {
		t.Errorf("listener 404: %q %q", a.Body, a.Fields)
	}
	Render(&a, nil, 503, []byte("X2"), nil, listener)
	if string(a.Body) != "down (X2)" || field(&a, "Retry-After") != "30" || string(a.Reason) != "Service Unavailable" {
		t.Errorf("listener full 503: %q %q %q", a.Body, a.Reason, a.Fields)
	}
	if field(&a, "Content-Length") != "" || field(&a, "Connection") != "" {
		t.Errorf("framing or hop-by-hop fields kept: %q", a.Fields)
	}
	Render(&a, nil, 503, []byte("X3"), cluster, listener)
	if string(a.Body) != "<p>cluster says X3 twice: X3</p>" {
		t.Errorf("cluster answer does not win: %q", a.Body)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, m := range []map[string]string{
		{"abc": "x"},
		{"99": "x"},
		{"503": "HTTP/1.1 503 Unavailable\r\nno colon here\r\n\r\n"},
		{"503": "HTTP/1.1 503 Unavailable\r\nX: y"},
		{"503": "HTTP/1.1 503 Unavailable\r\nX: a\x00b\r\n\r\n"},
		{"503": "HTTP/1.1 503 Unavailable\r\nX y: a\r\n\r\n"},
	} {
		if _, err := Compile(m); err == nil {
			t.Errorf("%v accepted", m)
		}
	}
}

func TestRenderAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 4096)
	id := []byte("abcd-0001")
	var a Answer
	if n := testing.AllocsPerRun(100, func() { Render(&a, buf[:0], 404, id, nil, nil) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
