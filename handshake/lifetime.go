package handshake

import (
	"crypto/tls"
	"encoding/binary"
	"time"
)

// Session-ticket lifetime. crypto/tls resumes a ticket for up to 7 days
// after the full handshake that made it (and announces 7 days in TLS 1.3's
// NewSessionTicket; that hint is fixed in crypto/tls). The key ring
// (tickets.go) bounds it to the life of a key; unwrapSession bounds it to
// the listener's lifetime: an older ticket gets a full handshake.

// unwrapSession decrypts a ticket with the listener's keys, as crypto/tls
// would, and drops it (a full handshake follows) when its session was
// made longer than s.lifetime ago, or when its age cannot be read.
func (s *Server) unwrapSession(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
	ss, err := s.config.DecryptTicket(identity, cs)
	if ss == nil || err != nil {
		return nil, err
	}
	made, ok := createdAt(ss)
	if !ok || s.now().Sub(made) > s.lifetime {
		return nil, nil
	}
	return ss, nil
}

// createdAt reads when a server session was made (its full handshake:
// crypto/tls keeps the time across TLS 1.2 resumptions) from its
// encoding, which starts with uint16 version, uint8 type (1: server),
// uint16 cipher suite, uint64 created_at (seconds since the epoch); see
// crypto/tls's SessionState. ok is false when the encoding is not that
// shape (a later Go that changed it: the ticket is then not resumed,
// which is safe; TestTicketLifetime would fail).
func createdAt(ss *tls.SessionState) (t time.Time, ok bool) {
	b, err := ss.Bytes()
	if err != nil || len(b) < 13 {
		return time.Time{}, false
	}
	v := binary.BigEndian.Uint16(b)
	if (v != tls.VersionTLS12 && v != tls.VersionTLS13) || b[2] != 1 {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b[5:13])), 0), true
}
