package session

import (
	"testing"

	"github.com/sluiceproxy/sluice/internal/h1"
)

func TestCookieValue(t *testing.T) {
	cookie := func(v string) h1.Header {
		return h1.Header{Name: []byte("Cookie"), Value: []byte(v), Kind: h1.HeaderCookie}
	}
	other := h1.Header{Name: []byte("X-Cookie"), Value: []byte("SLUICEBALANCEID=no"), Kind: h1.HeaderOther}
	for _, tc := range []struct {
		hs   []h1.Header
		want string
		ok   bool
	}{
		{[]h1.Header{cookie("SLUICEBALANCEID=b1")}, "b1", true},
		{[]h1.Header{cookie("a=1; SLUICEBALANCEID=b2; c=3")}, "b2", true},
		{[]h1.Header{cookie("a=1;SLUICEBALANCEID=b3")}, "b3", true},
		{[]h1.Header{cookie(`SLUICEBALANCEID="quoted"`)}, "quoted", true},
		{[]h1.Header{cookie("a=1"), cookie("SLUICEBALANCEID=second-field")}, "second-field", true},
		{[]h1.Header{cookie("SLUICEBALANCEID=first; SLUICEBALANCEID=second")}, "first", true},
		{[]h1.Header{cookie("SLUICEBALANCEID=")}, "", true},
		{[]h1.Header{cookie("sluicebalanceid=case")}, "", false}, // names are case-sensitive
		{[]h1.Header{cookie("XSLUICEBALANCEID=b")}, "", false},
		{[]h1.Header{cookie("SLUICEBALANCEID")}, "", false},
		{[]h1.Header{other}, "", false},
		{nil, "", false},
	} {
		got := cookieValue(tc.hs, "SLUICEBALANCEID")
		if (got != nil) != tc.ok || string(got) != tc.want {
			t.Errorf("%q: got %q (found %v), want %q (found %v)", tc.hs, got, got != nil, tc.want, tc.ok)
		}
	}
}
