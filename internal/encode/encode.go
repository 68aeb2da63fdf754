// Package encode holds the response compressors (gzip, zstd, brotli) in
// pools, so that a compressed response takes an encoder whose buffers
// and tables are already allocated, and the choice of encoding from a
// request's Accept-Encoding.
package encode

import (
	"io"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Encoder is a streaming compressor: Reset starts a new stream written to
// w, Flush pushes out what it holds (a sync point), Close ends the stream.
type Encoder interface {
	Reset(w io.Writer)
	Write(p []byte) (int, error)
	Flush() error
	Close() error
}

// The brotli level: 4 compresses text about as well as gzip 9 at a
// fraction of its cost (levels above 5 are for static files).
const brotliLevel = 4

// zstdWindow bounds zstd's window (and its memory a pooled encoder
// keeps); browsers accept up to 8 MiB (RFC 9659).
const zstdWindow = 1 << 20

var (
	gzipPools [10]sync.Pool // by level
	zstdPool  sync.Pool
	brPool    sync.Pool
)

// Get returns an encoder of algorithm alg ("gzip", "zstd" or "br"; level
// is gzip's) writing to w, from the pool when one is there.
func Get(alg string, level int, w io.Writer) Encoder {
	var e Encoder
	switch alg {
	case "gzip":
		level = min(max(level, 1), 9)
		if v := gzipPools[level].Get(); v != nil {
			e = v.(Encoder)
		} else {
			g, _ := gzip.NewWriterLevel(w, level)
			return g
		}
	case "zstd":
		if v := zstdPool.Get(); v != nil {
			e = v.(Encoder)
		} else {
			z, _ := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow),
				zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithZeroFrames(true))
			return z
		}
	case "br":
		if v := brPool.Get(); v != nil {
			e = v.(Encoder)
		} else {
			return brotli.NewWriterLevel(w, brotliLevel)
		}
	default:
		return nil
	}
	e.Reset(w)
	return e
}

// Put gives an encoder back to its pool, detached from its writer.
func Put(alg string, level int, e Encoder) {
	e.Reset(io.Discard)
	switch alg {
	case "gzip":
		gzipPools[min(max(level, 1), 9)].Put(e)
	case "zstd":
		zstdPool.Put(e)
	case "br":
		brPool.Put(e)
	}
}

// Negotiate returns the algorithm of algs (in the proxy's order of
// preference) that the Accept-Encoding values accept best (RFC 9110
// §12.5.3): the highest q-value wins, ties go to the earlier of algs; a
// coding with q=0 is refused, "*" stands for every coding not named, and
// "x-gzip" is gzip. It returns "" when none is acceptable. It allocates
// nothing.
func Negotiate(values [][]byte, algs []string) string {
	best, bestQ := "", 0
	for _, a := range algs {
		q := -1 // not named
		star := -1
		for _, v := range values {
			forEachCoding(v, func(name []byte, qv int) {
				switch {
				case codingIs(name, a) || a == "gzip" && codingIs(name, "x-gzip"):
					q = max(q, qv)
				case len(name) == 1 && name[0] == '*':
					star = qv
				}
			})
		}
		if q < 0 {
			q = star
		}
		if q > bestQ {
			best, bestQ = a, q
		}
	}
	return best
}

// forEachCoding calls f with each coding of an Accept-Encoding value and
// its q-value in thousandths (1000 when absent).
func forEachCoding(v []byte, f func(name []byte, q int)) {
	for len(v) > 0 {
		var item []byte
		if i := indexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		name, params := item, []byte(nil)
		if i := indexByte(item, ';'); i >= 0 {
			name, params = item[:i], item[i+1:]
		}
		name = trim(name)
		if len(name) == 0 {
			continue
		}
		f(name, qvalue(params))
	}
}

// qvalue reads "q=0.5" among parameters; 1000 when absent, 0 when
// malformed.
func qvalue(params []byte) int {
	for len(params) > 0 {
		var p []byte
		if i := indexByte(params, ';'); i >= 0 {
			p, params = params[:i], params[i+1:]
		} else {
			p, params = params, nil
		}
		p = trim(p)
		if len(p) < 2 || p[0]|0x20 != 'q' || p[1] != '=' {
			continue
		}
		p = p[2:]
		if len(p) == 0 || p[0] != '0' && p[0] != '1' {
			return 0
		}
		q := int(p[0]-'0') * 1000
		if len(p) > 1 {
			if p[1] != '.' || len(p) > 5 {
				return 0
			}
			scale := 100
			for _, c := range p[2:] {
				if c < '0' || c > '9' {
					return 0
				}
				q += int(c-'0') * scale
				scale /= 10
			}
		}
		return min(q, 1000)
	}
	return 1000
}

func codingIs(name []byte, want string) bool {
	if len(name) != len(want) {
		return false
	}
	for i := range name {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// TypeMatches reports whether the media type of a Content-Type value
// (parameters ignored, case-insensitive) is one of types ("text/*"
// matches every text type).
func TypeMatches(contentType []byte, types []string) bool {
	mt := contentType
	if i := indexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = trim(mt)
	for _, t := range types {
		if len(t) > 2 && t[len(t)-2:] == "/*" {
			if len(mt) > len(t)-1 && codingIs(mt[:len(t)-1], t[:len(t)-1]) {
				return true
			}
			continue
		}
		if codingIs(mt, t) {
			return true
		}
	}
	return false
}
