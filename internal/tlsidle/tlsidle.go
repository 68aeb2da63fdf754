// Package tlsidle releases the read buffers crypto/tls keeps in a
// connection between reads, for connections that wait idle (parked) by the
// thousand.
//
// A crypto/tls Conn keeps, for its life, the capacity its record reader
// (rawInput) and handshake-message buffer (hand) grew to: about 2 KiB and
// 1.5 KiB after a handshake with a post-quantum key share, up to 16 KiB
// after a full-size record. Go has no way to give them back (golang/go
// issues 43563 and 81348), so Release resets them through their places in
// the struct, which it finds by name with package reflect when the program
// starts: where a later Go renamed or retyped one of them, Supported is
// false and Release does nothing (TestLayout fails first). crypto/tls
// grows fresh buffers on the next read; a release costs nothing more.
package tlsidle

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"sync"
	"unsafe"
)

// layout is where Release finds the fields of a tls.Conn, as byte offsets;
// ok is false when one of them is not as expected.
var layout = func() (l struct {
	in, rawInput, input, hand uintptr
	ok                        bool
}) {
	t := reflect.TypeFor[tls.Conn]()
	field := func(name string, want reflect.Type) (uintptr, bool) {
		f, ok := t.FieldByName(name)
		if !ok || f.Type != want || len(f.Index) != 1 {
			return 0, false
		}
		return f.Offset, true
	}
	buf, rd, mu := reflect.TypeFor[bytes.Buffer](), reflect.TypeFor[bytes.Reader](), reflect.TypeFor[sync.Mutex]()
	var ok [4]bool
	l.rawInput, ok[0] = field("rawInput", buf)
	l.input, ok[1] = field("input", rd)
	l.hand, ok[2] = field("hand", buf)
	// in is a halfConn, whose first field is the sync.Mutex every read
	// holds (Conn.Read, Conn.Handshake).
	if f, found := t.FieldByName("in"); found && len(f.Index) == 1 && f.Type.Kind() == reflect.Struct &&
		f.Type.NumField() > 0 && f.Type.Field(0).Type == mu && f.Type.Field(0).Offset == 0 {
		l.in, ok[3] = f.Offset, true
	}
	l.ok = ok[0] && ok[1] && ok[2] && ok[3]
	return l
}()

// Supported reports whether this Go's crypto/tls has the fields Release
// resets.
func Supported() bool { return layout.ok }

// Release gives back the read buffers of c that hold nothing: the record
// buffer and the plaintext reader over it once every byte read from the
// socket was handled, and the handshake-message buffer once empty. A
// partial record, unread plaintext or part of a handshake message stays
// where it is, with its buffer. It reports whether the record buffer was
// released.
//
// It is safe beside other calls on c: it takes the lock crypto/tls's Read
// and Handshake hold, and gives up, releasing nothing, while one waits
// (a connection releases when it parks, after its last Read returned).
func Release(c *tls.Conn) bool {
	if !layout.ok || c == nil {
		return false
	}
	p := unsafe.Pointer(c)
	in := (*sync.Mutex)(unsafe.Add(p, layout.in))
	if !in.TryLock() {
		return false
	}
	defer in.Unlock()
	rawInput := (*bytes.Buffer)(unsafe.Add(p, layout.rawInput))
	input := (*bytes.Reader)(unsafe.Add(p, layout.input))
	hand := (*bytes.Buffer)(unsafe.Add(p, layout.hand))
	if hand.Len() == 0 {
		*hand = bytes.Buffer{}
	}
	if rawInput.Len() != 0 || input.Len() != 0 {
		return false
	}
	*input = bytes.Reader{} // it points into rawInput's memory
	*rawInput = bytes.Buffer{}
	return true
}

// Held reports the capacity, in bytes, of c's record and handshake
// buffers (0 and 0 after a Release; -1 and -1 when not Supported), for
// tests. It waits for a Read in progress.
func Held(c *tls.Conn) (rawInput, hand int) {
	if !layout.ok {
		return -1, -1
	}
	p := unsafe.Pointer(c)
	in := (*sync.Mutex)(unsafe.Add(p, layout.in))
	in.Lock()
	defer in.Unlock()
	return (*bytes.Buffer)(unsafe.Add(p, layout.rawInput)).Cap(), (*bytes.Buffer)(unsafe.Add(p, layout.hand)).Cap()
}
