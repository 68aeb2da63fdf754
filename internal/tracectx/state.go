package tracectx

import "github.com/sluiceproxy/sluice/internal/h1"

// MaxMembers is the most list-members a tracestate may hold, over all its
// fields together.
const MaxMembers = 32

// State checks tracestate values: Add each field's value in order, then
// Valid tells whether the whole list may be passed on. Its zero value is
// an empty list; it allocates nothing.
type State struct {
	keys [MaxMembers][]byte
	n    int
	bad  bool
}

// Reset empties s for the next request.
func (s *State) Reset() { s.n, s.bad = 0, false; clear(s.keys[:]) }

// Valid reports that every value added so far is a well-formed list of at
// most MaxMembers members with distinct keys. Empty and whitespace-only
// members are allowed (and not counted), as the spec says.
func (s *State) Valid() bool { return !s.bad }

// Add adds one tracestate field's value. The keys it keeps alias v until
// Reset.
func (s *State) Add(v []byte) {
	for start := 0; start <= len(v) && !s.bad; {
		end := start
		for end < len(v) && v[end] != ',' {
			end++
		}
		s.member(h1.TrimOWS(v[start:end]))
		start = end + 1
	}
}

// member checks one list-member: key "=" value.
func (s *State) member(m []byte) {
	if len(m) == 0 {
		return
	}
	eq := 0
	for eq < len(m) && m[eq] != '=' {
		eq++
	}
	if eq == len(m) || !validKey(m[:eq]) || !validValue(m[eq+1:]) || s.n == MaxMembers {
		s.bad = true
		return
	}
	key := m[:eq]
	for _, k := range s.keys[:s.n] {
		if string(k) == string(key) {
			s.bad = true
			return
		}
	}
	s.keys[s.n] = key
	s.n++
}

// validKey: ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*"
// / "/" / "@" ) (Level 2, which accepts every Level 1 key).
func validKey(k []byte) bool {
	if len(k) == 0 || len(k) > 256 || !(k[0] >= 'a' && k[0] <= 'z' || k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for _, c := range k[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/' || c == '@') {
			return false
		}
	}
	return true
}

// validValue: 0*255( %x20 / nblk-chr ) nblk-chr, nblk-chr being printable
// ASCII but ',' and '='.
func validValue(v []byte) bool {
	if len(v) == 0 || len(v) > 256 || v[len(v)-1] == ' ' {
		return false
	}
	for _, c := range v {
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}
