package router

import "testing"

// fuzzRules is the fixed table of FuzzLookup: every hostname kind and path
// type, with and without methods.
var fuzzRules = []Rule[string]{
	{Hostname: "example.com", Path: "/", Target: "exact-root"},
	{Hostname: "example.com", PathType: PathEquals, Path: "/login", Method: "POST", Target: "exact-login-post"},
	{Hostname: "example.com", PathType: PathRegex, Path: `/u/[0-9]+`, Target: "exact-user"},
	{Hostname: "*.example.com", Path: "/api", Target: "wild-api"},
	{Hostname: "*.a.example.com", Path: "", Method: "GET", Target: "wild-a-get"},
	{Hostname: "*.com", PathType: PathRegex, Path: `/.*\.php`, Target: "tld-php"},
	{Hostname: "[::1]", Path: "/", Target: "v6"},
	{Hostname: "127.0.0.1", Path: "/", Target: "v4"},
	{Hostname: "*", PathType: PathEquals, Path: "/health", Target: "health"},
	{Hostname: "*", Path: "/static/", Target: "static"},
}

// FuzzLookup checks that Lookup never panics and agrees with the reference
// matcher on arbitrary request bytes.
func FuzzLookup(f *testing.F) {
	tbl := New[string]()
	for _, r := range fuzzRules {
		var err error
		if tbl, err = tbl.Add(r); err != nil {
			f.Fatal(err)
		}
	}
	ref := newRef(fuzzRules)
	for _, s := range [][3]string{
		{"example.com", "/", "GET"},
		{"EXAMPLE.com.:80", "/login", "POST"},
		{"x.a.example.com", "/anything", "GET"},
		{"b.example.com", "/api/v1", "PUT"},
		{"shop.com", "/index.php", "GET"},
		{"[::1]:8080", "/", "GET"},
		{"::1", "/", ""},
		{"[::1", "/health", "GET"},
		{"", "/static/x", "GET"},
		{"\xff\x00.example.com", "/\x00", "\xff"},
	} {
		f.Add([]byte(s[0]), []byte(s[1]), []byte(s[2]))
	}
	f.Fuzz(func(t *testing.T, host, path, method []byte) {
		got, ok := tbl.Lookup(host, path, method)
		want, wok := ref.lookup(string(host), string(path), string(method))
		if got != want || ok != wok {
			t.Fatalf("Lookup(%q, %q, %q) = %q, %v; reference %q, %v", host, path, method, got, ok, want, wok)
		}
	})
}
