// Package tracectx reads and writes the W3C Trace Context fields
// (https://www.w3.org/TR/trace-context/): traceparent, parsed strictly, and
// tracestate, checked strictly and passed on as it came. It is pure: no
// I/O, no allocation, no state; the exchange stage calls it for every
// request when tracing is on.
//
// A traceparent of version 00 is exactly
// "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>", lowercase hex,
// ids not all zeros. A later version (01 to fe) is read the same way for
// its first 55 characters, which must be followed by nothing or by '-'
// (the rule for versions the parser does not know); version ff is
// invalid. A value that breaks any rule is invalid, and the spec's answer
// to an invalid one is a new trace, its tracestate ignored.
package tracectx
