package cookie

import "testing"

func TestAppendWithout(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a=1; SLUICEBALANCEID=b; c=3", "a=1; c=3"},
		{"SLUICEBALANCEID=b", ""},
		{"SLUICEBALANCEID=b;a=1", "a=1"},
		{"a=1;  b=2 ;c", "a=1; b=2; c"},
		{"a=1; ; SLUICEBALANCEID=x", "a=1"},
	} {
		out, any := AppendWithout(nil, []byte(tc.in), "SLUICEBALANCEID")
		if string(out) != tc.want || any != (tc.want != "") {
			t.Errorf("%q: got %q (%v), want %q", tc.in, out, any, tc.want)
		}
	}
}

func TestAppendSetCookie(t *testing.T) {
	if got := string(AppendSetCookie(nil, "SLUICEBALANCEID", "b1")); got != "SLUICEBALANCEID=b1; Path=/; HttpOnly" {
		t.Fatalf("got %q", got)
	}
}
