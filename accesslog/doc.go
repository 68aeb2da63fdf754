// Package accesslog writes one line per request, and one per connection of
// a tcp listener, asynchronously, without ever blocking the request.
//
// The caller fills an [Entry] and calls [Logger.Log] (or a [Conn] and
// [Logger.LogConn]), which formats the line
// at once into a pooled buffer and hands the buffer to the logger's writer
// goroutine through a bounded queue. When the queue is full (the target is
// slower than the traffic) the line is dropped and counted; when the target
// fails (a file that cannot be opened or written) lines are lost and
// counted, the failure is reported once, and writing resumes when the target
// works again. Neither stops or slows traffic.
//
// # Ownership
//
// Log reads the Entry and every byte slice it points to during the call
// only, and retains none of them: the slices may be views into the caller's
// own buffers (the request head, a request id array), and the caller may
// reuse or overwrite the Entry and those buffers as soon as Log returns.
// The caller must not change them while Log runs. Log is safe for concurrent
// use by any number of goroutines, each with its own Entry.
//
// # Formats
//
// [Text] (the default) writes one line of space-separated fields:
//
//	time request_id client listener cluster backend "method host path" status bytes_in bytes_out total_ms backend_ms connect_ms tls sni "user_agent" trace_id error
//
// for example
//
//	2026-12-01T10:00:00.123Z 3f2a9c1b-00000000002a 203.0.113.7:51234 0.0.0.0:8080 shop shop-1 "GET shop.example.com /cart?id=1" 200 512 2048 12.345 10.100 0.250 TLS1.3 shop.example.com "curl/8.5.0" 4bf92f3577b34da6a3ce929d0e0e4736 -
//
// Time is UTC with milliseconds. Durations are milliseconds with three
// decimals. An absent value is written "-" (and a value that is exactly "-"
// is written \x2d). Every byte outside printable ASCII, the space (except
// in the user agent), '"' and '\' is written as \xHH, so a line is printable
// ASCII and always has these 18 fields: no bare field holds a space, no
// quoted field a quote, and no client-sent byte can end the line or forge a
// field.
//
// [JSON] writes one object per line with the keys time, request_id, client,
// listener, cluster, backend, method, host, path, status, bytes_in,
// bytes_out, total_ms, backend_ms, connect_ms, tls_version, sni,
// user_agent, trace_id and error; absent values are null. error is the kind of
// backend failure behind the response (connect, timeout, reset, parse or
// tls, as the metrics name them; a 502 for a backend that reset its
// stream says reset), absent when none. Strings are escaped as JSON requires;
// bytes that are not valid UTF-8 become U+FFFD.
//
// # tcp connections
//
// A [Conn] is written in the same family: the Text line starts with the
// same six fields, then the bare word tcp where a request has its quoted
// request field, then
//
//	time conn_id client listener cluster backend tcp sni bytes_in bytes_out total_ms connect_ms end
//
// for example
//
//	2026-12-01T10:00:00.123Z 3f2a9c1b-00000000002b 203.0.113.7:51234 0.0.0.0:5432 db db-1 tcp db.example.com 1200 40960 1523.400 0.250 backend_close
//
// where end is an [End]'s name. The JSON object has the keys time,
// conn_id, client, listener, cluster, backend, protocol ("tcp"), sni,
// bytes_in, bytes_out, total_ms, connect_ms and end. Escaping, limits and
// "-" are as for requests.
//
// # Syslog
//
// A Target such as "syslog://127.0.0.1:514", "syslog+tcp://host:601" or
// "syslog+unix:///dev/log" (see [ParseTarget]) sends each line as an RFC
// 5424 message, from the same writer goroutine behind the same queue:
// a datagram per line over UDP and unix sockets, octet-counted frames
// (RFC 6587) over TCP, all of a batch in one write. The writer dials when
// it has lines and no connection (at most once a second), and drops the
// connection when a write fails; a dial or a write that takes more than
// 5 s fails.
//
// Values longer than a field's limit (2048 bytes for the path, 512 for the
// user agent, 256 for the host, SNI and ids, 64 for the request id, 32 for
// the method) are cut and end with "...": a line stays small whatever the
// client sends.
package accesslog
