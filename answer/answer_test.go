package answer

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

func readAnswer(t *testing.T, raw []byte, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestDefaultAnswers(t *testing.T) {
	id := []byte("abcd-0001")
	for _, status := range []int{301, 400, 403, 404, 408, 413, 414, 421, 429, 431, 501, 502, 503, 504, 505} {
		raw := Append(nil, status, id, nil, status >= 500, false, nil, nil)
		resp, body := readAnswer(t, raw, "GET")
		if resp.StatusCode != status || resp.Header.Get("Sluice-Request-Id") != "abcd-0001" {
			t.Errorf("%d: got %d, id %q", status, resp.StatusCode, resp.Header.Get("Sluice-Request-Id"))
		}
		if !strings.Contains(body, "abcd-0001") || !strings.Contains(body, http.StatusText(status)) {
			t.Errorf("%d: body does not name the status and id: %s", status, body)
		}
		if resp.Close != (status >= 500) {
			t.Errorf("%d: Connection close = %v", status, resp.Close)
		}
	}
}

func TestHeadOnlyKeepsLength(t *testing.T) {
	raw := Append(nil, 404, []byte("id"), nil, false, true, nil, nil)
	full := Append(nil, 404, []byte("id"), nil, false, false, nil, nil)
	if !bytes.HasSuffix(raw, []byte("\r\n\r\n")) || !bytes.HasPrefix(full, raw) {
		t.Fatalf("HEAD answer is not the head of the full one:\n%s", raw)
	}
}

func TestReplacementAnswers(t *testing.T) {
	listener, err := Compile(map[string]string{
		"404": "<p>nothing here, %REQUEST_ID</p>",
		"503": "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Length: 999\r\n\r\ndown (%REQUEST_ID)",
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := Compile(map[string]string{"503": "<p>cluster says %REQUEST_ID twice: %REQUEST_ID</p>"})
	if err != nil {
		t.Fatal(err)
	}
	_, body := readAnswer(t, Append(nil, 404, []byte("X1"), nil, false, false, cluster, listener), "GET")
	if body != "<p>nothing here, X1</p>" {
		t.Errorf("listener 404: %q", body)
	}
	resp, body := readAnswer(t, Append(nil, 503, []byte("X2"), nil, false, false, nil, listener), "GET")
	if body != "down (X2)" || resp.Header.Get("Retry-After") != "30" || resp.ContentLength != int64(len(body)) {
		t.Errorf("listener full 503: %q %v %d", body, resp.Header, resp.ContentLength)
	}
	_, body = readAnswer(t, Append(nil, 503, []byte("X3"), nil, false, false, cluster, listener), "GET")
	if body != "<p>cluster says X3 twice: X3</p>" {
		t.Errorf("cluster answer does not win: %q", body)
	}
	resp, _ = readAnswer(t, Append(nil, 301, []byte("X4"), []byte("Location: https://a.example/\r\n"), false, false, nil, nil), "GET")
	if resp.Header.Get("Location") != "https://a.example/" {
		t.Errorf("extra header lost: %v", resp.Header)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, m := range []map[string]string{
		{"abc": "x"},
		{"99": "x"},
		{"503": "HTTP/1.1 503 Unavailable\r\nno colon here\r\n\r\n"},
		{"503": "HTTP/1.1 503 Unavailable\r\nX: y"},
	} {
		if _, err := Compile(m); err == nil {
			t.Errorf("%v accepted", m)
		}
	}
}

func TestAppendAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 4096)
	id := []byte("abcd-0001")
	if n := testing.AllocsPerRun(100, func() { Append(buf[:0], 404, id, nil, false, false, nil, nil) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
