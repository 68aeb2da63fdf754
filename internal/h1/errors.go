package h1

import "errors"

// Error is a parse failure visible to a client or a backend. Status is the
// HTTP status a proxy should answer with (400, 414, 431, 501 or 505 for a
// request; 502 for a response; 400 from a ChunkedScanner) and Reason is a
// short, fixed, human-readable explanation suitable for a response body or a
// log line. The parsers return pointers to package-level values, so returning
// an error allocates nothing; callers must not modify them.
type Error struct {
	Status int
	Reason string
}

// Error implements the error interface as "h1: <status> <reason>". It
// allocates; call it only when formatting.
func (e *Error) Error() string {
	return "h1: " + itoa3(e.Status) + " " + e.Reason
}

func itoa3(n int) string {
	if n < 100 || n > 999 {
		return "???"
	}
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// ErrIncomplete reports that the buffer does not yet hold a complete head (and
// is still within the limits): the caller should read more bytes and parse
// again from the start of the buffer.
var ErrIncomplete = errors.New("h1: incomplete head")

// errCode indexes the fixed error tables. ecNone means success and ecMore
// means "need more input"; neither is ever returned to callers as an *Error.
type errCode uint8

const (
	ecNone errCode = iota
	ecMore
	ecURITooLong
	ecHeadTooLarge
	ecTooManyFields
	ecConnect
	ecVersionUnsupported
	ecBareCR
	ecBareLF
	ecLeadingLines
	ecMethod
	ecRequestLine
	ecTarget
	ecAsterisk
	ecAbsoluteForm
	ecVersion
	ecStatusLine
	ecStatusCode
	ecReason
	ecObsFold
	ecEmptyName
	ecNameChar
	ecSpaceBeforeColon
	ecNoColon
	ecValueChar
	ecHostMissing
	ecHostMultiple
	ecHostInvalid
	ecCLInvalid
	ecCLDiffer
	ecTEInvalid
	ecTENotChunked
	ecTEUnsupported
	ecTEChunkedTwice
	ecTEHTTP10
	ecCLAndTE
	ecChunkSize
	ecChunkSizeOverflow
	ecChunkLineTooLong
	ecChunkExt
	ecChunkDataCRLF
	ecTrailerTooLarge
	ecTrailerTooManyFields
	numErrCodes
)

// requestErrors holds the *Error returned for each code by ParseRequest and
// ChunkedScanner; responseErrors holds the same reasons with Status 502.
var requestErrors = [numErrCodes]Error{
	ecURITooLong:           {414, "request line longer than the head limit"},
	ecHeadTooLarge:         {431, "head larger than the limit"},
	ecTooManyFields:        {431, "too many header fields"},
	ecConnect:              {501, "CONNECT is not supported"},
	ecVersionUnsupported:   {505, "HTTP version not supported"},
	ecBareCR:               {400, "bare CR in head"},
	ecBareLF:               {400, "bare LF used as line ending"},
	ecLeadingLines:         {400, "too many empty lines before the request line"},
	ecMethod:               {400, "invalid method"},
	ecRequestLine:          {400, "malformed request line"},
	ecTarget:               {400, "invalid request target"},
	ecAsterisk:             {400, "asterisk target only allowed with OPTIONS"},
	ecAbsoluteForm:         {400, "invalid absolute-form target"},
	ecVersion:              {400, "malformed HTTP version"},
	ecStatusLine:           {400, "malformed status line"},
	ecStatusCode:           {400, "invalid status code"},
	ecReason:               {400, "invalid character in reason phrase"},
	ecObsFold:              {400, "obsolete line folding"},
	ecEmptyName:            {400, "empty field name"},
	ecNameChar:             {400, "invalid character in field name"},
	ecSpaceBeforeColon:     {400, "whitespace between field name and colon"},
	ecNoColon:              {400, "field line without colon"},
	ecValueChar:            {400, "invalid character in field value"},
	ecHostMissing:          {400, "missing Host header"},
	ecHostMultiple:         {400, "multiple Host headers"},
	ecHostInvalid:          {400, "invalid Host"},
	ecCLInvalid:            {400, "invalid Content-Length"},
	ecCLDiffer:             {400, "differing Content-Length values"},
	ecTEInvalid:            {400, "invalid Transfer-Encoding"},
	ecTENotChunked:         {400, "Transfer-Encoding does not end in chunked"},
	ecTEUnsupported:        {501, "transfer coding other than chunked"},
	ecTEChunkedTwice:       {400, "chunked applied more than once"},
	ecTEHTTP10:             {400, "Transfer-Encoding in an HTTP/1.0 message"},
	ecCLAndTE:              {400, "both Content-Length and Transfer-Encoding"},
	ecChunkSize:            {400, "invalid chunk size"},
	ecChunkSizeOverflow:    {400, "chunk size too large"},
	ecChunkLineTooLong:     {400, "chunk size line too long"},
	ecChunkExt:             {400, "invalid chunk extension"},
	ecChunkDataCRLF:        {400, "missing CRLF after chunk data"},
	ecTrailerTooLarge:      {400, "trailer section larger than the limit"},
	ecTrailerTooManyFields: {400, "too many trailer fields"},
}

var responseErrors = func() (t [numErrCodes]Error) {
	for i, e := range requestErrors {
		t[i] = Error{Status: 502, Reason: e.Reason}
	}
	return t
}()

// reqErr turns a code into the error ParseRequest returns: ErrIncomplete for
// ecMore, otherwise a pointer into requestErrors.
func reqErr(c errCode) error {
	if c == ecMore {
		return ErrIncomplete
	}
	return &requestErrors[c]
}

// respErr is reqErr for ParseResponse (Status 502).
func respErr(c errCode) error {
	if c == ecMore {
		return ErrIncomplete
	}
	return &responseErrors[c]
}
