package router

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeHostname(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	name253 := strings.Repeat(long63+".", 3) + strings.Repeat("b", 61) // 253 bytes
	for _, c := range []struct{ in, want string }{
		{"example.com", "example.com"},
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"*.Example.com.", "*.example.com"},
		{"*", "*"},
		{"localhost", "localhost"},
		{"under_score-and-dash.example", "under_score-and-dash.example"},
		{"10.0.0.1", "10.0.0.1"},
		{"[::1]", "[::1]"},
		{"::1", "[::1]"},
		{"[2001:DB8::1]", "[2001:db8::1]"},
		{long63 + ".com", long63 + ".com"},
		{name253, name253},
		{name253 + ".", name253},
	} {
		got, err := NormalizeHostname(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeHostname(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestValidateRule(t *testing.T) {
	long64 := strings.Repeat("a", 64)
	name254 := strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("b", 62)
	for _, c := range []struct {
		rule   Rule[int]
		field  string
		reason string // substring of the message
	}{
		{Rule[int]{Hostname: ""}, "hostname", "empty"},
		{Rule[int]{Hostname: "."}, "hostname", "empty"},
		{Rule[int]{Hostname: "*."}, "hostname", "'*'"},
		{Rule[int]{Hostname: "a..b"}, "hostname", "empty label"},
		{Rule[int]{Hostname: ".a"}, "hostname", "empty label"},
		{Rule[int]{Hostname: "a b"}, "hostname", "invalid character ' '"},
		{Rule[int]{Hostname: "a/b"}, "hostname", "invalid character '/'"},
		{Rule[int]{Hostname: "caf\xc3\xa9.fr"}, "hostname", `invalid character '\xc3'`},
		{Rule[int]{Hostname: "example.com:80"}, "hostname", "port"},
		{Rule[int]{Hostname: "a.*.com"}, "hostname", "'*'"},
		{Rule[int]{Hostname: "*.*.com"}, "hostname", "'*'"},
		{Rule[int]{Hostname: "*example.com"}, "hostname", "'*'"},
		{Rule[int]{Hostname: "**"}, "hostname", "'*'"},
		{Rule[int]{Hostname: long64 + ".com"}, "hostname", "label longer than 63"},
		{Rule[int]{Hostname: name254}, "hostname", "longer than 253"},
		{Rule[int]{Hostname: "[::1]:80"}, "hostname", "IPv6"},
		{Rule[int]{Hostname: "[::1"}, "hostname", "IPv6"},
		{Rule[int]{Hostname: "[1.2.3.4]"}, "hostname", "IPv6"},
		{Rule[int]{Hostname: "fe80::1%eth0"}, "hostname", "IPv6"},
		{Rule[int]{Hostname: "h", Path: "api"}, "path", `must be empty or start with "/"`},
		{Rule[int]{Hostname: "h", PathType: PathEquals, Path: ""}, "path", `must start with "/"`},
		{Rule[int]{Hostname: "h", PathType: PathEquals, Path: "x"}, "path", `must start with "/"`},
		{Rule[int]{Hostname: "h", Path: "/a b"}, "path", "control character or space"},
		{Rule[int]{Hostname: "h", PathType: PathEquals, Path: "/a\n"}, "path", "control character"},
		{Rule[int]{Hostname: "h", Path: "/a?b=1"}, "path", "query"},
		{Rule[int]{Hostname: "h", Path: "/a#x"}, "path", "'#'"},
		{Rule[int]{Hostname: "h", PathType: PathRegex, Path: ""}, "path", "empty regex"},
		{Rule[int]{Hostname: "h", PathType: PathRegex, Path: "/a(b"}, "path", "bad regex"},
		{Rule[int]{Hostname: "h", PathType: PathRegex, Path: "/a)|(b"}, "path", "bad regex"}, // would escape ^(?:...)$
		{Rule[int]{Hostname: "h", PathType: PathRegex, Path: ")|.*|("}, "path", "bad regex"},
		{Rule[int]{Hostname: "h", PathType: PathType(7)}, "path type", "unknown"},
		{Rule[int]{Hostname: "h", Method: "G ET"}, "method", "token"},
		{Rule[int]{Hostname: "h", Method: "GET\r\n"}, "method", "token"},
		{Rule[int]{Hostname: "h", Method: "(GET)"}, "method", "token"},
	} {
		err := ValidateRule(c.rule)
		var re *RuleError
		if !errors.As(err, &re) {
			t.Errorf("ValidateRule(%+v) = %v; want a *RuleError", c.rule, err)
			continue
		}
		msg := err.Error()
		if re.Field != c.field || !strings.Contains(msg, "invalid "+c.field+" ") || !strings.Contains(msg, c.reason) {
			t.Errorf("ValidateRule(%+v) = %q (field %q); want field %q and %q", c.rule, msg, re.Field, c.field, c.reason)
		}
		if _, err := New[int]().Add(c.rule); err == nil {
			t.Errorf("Add(%+v) succeeded", c.rule)
		}
	}
	for _, r := range []Rule[int]{
		{Hostname: "h"},
		{Hostname: "*", Path: "/"},
		{Hostname: "h", PathType: PathEquals, Path: "/"},
		{Hostname: "h", PathType: PathRegex, Path: `/[^/]+\.php`},
		{Hostname: "h", Method: "PROPFIND"},
		{Hostname: "h", Method: "M-SEARCH"},
	} {
		if err := ValidateRule(r); err != nil {
			t.Errorf("ValidateRule(%+v) = %v; want nil", r, err)
		}
	}
}

func TestPathTypeStrings(t *testing.T) {
	for _, pt := range []PathType{PathPrefix, PathEquals, PathRegex} {
		got, err := ParsePathType(pt.String())
		if err != nil || got != pt {
			t.Errorf("ParsePathType(%q) = %v, %v", pt.String(), got, err)
		}
	}
	if got, err := ParsePathType(""); err != nil || got != PathPrefix {
		t.Errorf(`ParsePathType("") = %v, %v; want prefix`, got, err)
	}
	for _, s := range []string{"Prefix", "exact", "re"} {
		if _, err := ParsePathType(s); err == nil || !strings.Contains(err.Error(), "path type") {
			t.Errorf("ParsePathType(%q) = %v; want a path type error", s, err)
		}
	}
	if s := PathType(5).String(); s != "PathType(5)" {
		t.Errorf("PathType(5).String() = %q", s)
	}
}
