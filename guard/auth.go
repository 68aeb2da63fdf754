package guard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"runtime"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/order"
)

// Auth checks HTTP basic credentials (RFC 7617) against bcrypt or argon2id
// hashes. A password hash costs tens of milliseconds by design, so a
// verified pair is remembered, as the SHA-256 of user, password and a
// per-Auth secret, in a small cache (cacheSize pairs): later requests with
// the same credentials cost a hash and a map lookup. Failed checks are
// never cached; a client guessing passwords pays (and makes the proxy pay)
// a full hash per guess, so put a rate limit on such frontends. Requests
// with the same credentials arriving while they are being checked wait
// for that check instead of hashing again, and at most GOMAXPROCS hashes
// run at once in the whole proxy. Neither the credentials nor the hashes
// are ever logged.
type Auth struct {
	// Challenge is the WWW-Authenticate value of the 401 answer.
	Challenge []byte
	// Forward sends the Authorization field on to the backend.
	Forward bool

	users  map[string]verifier
	secret [32]byte

	mu       sync.Mutex
	cache    map[[32]byte]struct{}
	inflight map[[32]byte]chan struct{} // checks in progress, by credentials
}

// hashing bounds the password hashes computed at once, proxy-wide, to the
// processors: a flood of guesses queues instead of starving the requests
// that need no hash.
var hashing = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// cacheSize bounds the verified credentials remembered; past it the cache
// starts again empty.
const cacheSize = 1024

type verifier struct {
	bcrypt []byte
	argon  *order.Argon2id
}

// NewAuth builds the checker of a; the order's validation has checked the
// hashes.
func NewAuth(a *order.BasicAuth) *Auth {
	realm := a.Realm
	if realm == "" {
		realm = "restricted"
	}
	au := &Auth{
		Challenge: []byte(`Basic realm="` + realm + `", charset="UTF-8"`),
		Forward:   a.ForwardAuthorization,
		users:     make(map[string]verifier, len(a.Users)),
		cache:     map[[32]byte]struct{}{},
		inflight:  map[[32]byte]chan struct{}{},
	}
	for name, h := range a.Users {
		if p, err := order.ParseArgon2id(h); err == nil {
			au.users[name] = verifier{argon: p}
		} else {
			au.users[name] = verifier{bcrypt: []byte(h)}
		}
	}
	_, _ = randRead(au.secret[:])
	return au
}

// Check reports whether value, an Authorization field's value, carries the
// credentials of a user. It allocates only to decode the credentials.
func (a *Auth) Check(value []byte) bool {
	const scheme = "basic "
	if len(value) <= len(scheme) || !h1.EqualFold(value[:len(scheme)], scheme) {
		return false
	}
	enc := value[len(scheme):]
	for len(enc) > 0 && enc[0] == ' ' {
		enc = enc[1:]
	}
	var buf [256]byte
	if base64.StdEncoding.DecodedLen(len(enc)) > len(buf) {
		return false
	}
	n, err := base64.StdEncoding.Decode(buf[:], enc)
	if err != nil {
		return false
	}
	cred := buf[:n]
	i := indexByte(cred, ':')
	if i < 0 {
		return false
	}
	user, pass := cred[:i], cred[i+1:]
	v, ok := a.users[string(user)]
	if !ok {
		// The same work as a wrong password, so that timing does not tell
		// which users exist.
		hashing <- struct{}{}
		_ = bcrypt.CompareHashAndPassword(dummyHash, pass)
		<-hashing
		return false
	}
	h := sha256.New()
	h.Write(a.secret[:])
	h.Write(cred) // user:password
	var sum [32]byte
	h.Sum(sum[:0])
	for {
		a.mu.Lock()
		if _, hit := a.cache[sum]; hit {
			a.mu.Unlock()
			return true
		}
		wait, busy := a.inflight[sum]
		if !busy {
			break // a.mu held: this request checks
		}
		a.mu.Unlock()
		// The same credentials are being checked: their verdict is this
		// one's too (one hash, not one per request of a new client).
		<-wait
		a.mu.Lock()
		_, hit := a.cache[sum]
		a.mu.Unlock()
		return hit
	}
	done := make(chan struct{})
	a.inflight[sum] = done
	a.mu.Unlock()
	hashing <- struct{}{}
	ok = v.verify(pass)
	<-hashing
	a.mu.Lock()
	if ok {
		if len(a.cache) >= cacheSize {
			clear(a.cache)
		}
		a.cache[sum] = struct{}{}
	}
	delete(a.inflight, sum)
	a.mu.Unlock()
	close(done)
	return ok
}

func (v verifier) verify(pass []byte) bool {
	if v.argon != nil {
		p := v.argon
		k := argon2.IDKey(pass, p.Salt, p.Time, p.Memory, p.Threads, uint32(len(p.Key)))
		return subtle.ConstantTimeCompare(k, p.Key) == 1
	}
	return bcrypt.CompareHashAndPassword(v.bcrypt, pass) == nil
}

// dummyHash is a bcrypt hash (cost 10) checked against for unknown users.
var dummyHash = []byte("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}
