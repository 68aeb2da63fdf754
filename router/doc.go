// Package router holds Sluice's HTTP routing tables: immutable values that
// map a request's host, path and method to a target (a backend name, a
// frontend record, ...), built for lock-free lookups on the request path.
//
// # Use
//
// The proxy keeps one *Table per HTTP/HTTPS listener in an atomic.Pointer.
// Requests Load the pointer and call Lookup without any lock. An order that
// adds or removes a frontend calls Add or Remove on the current table, which
// returns a NEW table, and Stores it. The old table is never modified, so a
// request that still holds it keeps seeing a consistent view.
//
// # Priorities
//
// A table holds three rule sets, by the rules' Position (Sōzu's rule
// positions): every PositionPre rule is tried first, then the
// PositionTree rules (the default), then every PositionPost rule; the
// first set with a match wins, whatever the other sets hold. Pre rules
// override (a maintenance rule on "*" with a header condition), post rules
// catch what nothing else took. Within each set a request is matched in
// two steps: first the hostname, then the path rule, method and
// conditions within that hostname.
//
// Hostnames, most specific first:
//
//  1. An exact hostname ("shop.example.com").
//  2. Regex hostnames ("/api[0-9]+/.example.com": labels between slashes
//     are Go RE2 patterns; see regexhost.go), in lexical order of the
//     hostname as written; the first whose pattern matches the whole host
//     and that has a matching rule wins.
//  3. Wildcards ("*.example.com"), longest suffix first: for
//     "a.b.example.com", "*.b.example.com" is tried before "*.example.com",
//     which is tried before "*.com". A wildcard needs at least one more
//     (non-empty) label before its suffix: "*.example.com" matches
//     "a.example.com" and "a.b.example.com" but not "example.com" itself.
//  4. The catch-all "*", which matches any host, including an empty one.
//
// The chosen hostname is the most specific one that has at least one rule
// matching the path and method. If the most specific hostname has rules but
// none of them matches (say "shop.example.com" only has "/api" and the
// request is for "/"), matching falls back to the next less specific
// hostname ("*.example.com", then "*"). The request is only refused when no
// hostname at all has a matching rule.
//
// Within the chosen hostname:
//
//  1. "equals" rules (the path is exactly the rule's path) beat "regex"
//     rules, which beat "prefix" rules.
//  2. Regex rules are tried in lexical (byte) order of their pattern string,
//     whatever the insertion order; the first that matches wins. A pattern
//     is anchored at both ends: it is compiled as ^(?:pattern)$.
//  3. Among prefix rules the longest prefix wins. Prefixes compare bytes
//     (case-sensitive) and are not aligned on "/": prefix "/api" matches
//     "/apix". The empty prefix matches every path, including "".
//  4. Between rules with the same path rule, one with a method beats one
//     without. A rule with a method only ever matches that exact method
//     (methods are case-sensitive tokens). The path priority comes first:
//     an "equals" rule without a method beats a "regex" rule with one.
//  5. Then, between rules with the same path rule and method, one with
//     more conditions (Rule.Headers and Rule.Query, see Predicate) beats
//     one with fewer; with as many, the canonical text of the conditions
//     (Key.Match) decides. A rule matches only when all its conditions
//     hold; if they do not, the next rule in this order is tried, then the
//     next hostname.
//
// # Request hosts
//
// Lookup normalises the request host without allocating, in this order:
//
//   - "[v6]..." (a bracketed IPv6 literal): the name is "[v6]"; whatever
//     follows the ']' (a port) is ignored. An unterminated '[' never matches.
//   - a host with two or more ':' and no brackets is a bare IPv6 literal and
//     is treated as "[host]".
//   - otherwise a ":port" suffix (from the first ':') is dropped, then one
//     trailing '.' is dropped.
//   - ASCII letters are lowercased.
//   - a result longer than 255 bytes never matches, not even "*".
//
// IPv6 literals only match exact rules (written "[::1]" or "::1", kept as
// written, lowercased, not canonicalised) and the catch-all; wildcards never
// apply to them. The path is used as given (no query string, no decoding,
// no cleaning); so is the method.
//
// # Data structure
//
// Exact hostnames and wildcard suffixes live in two hash indexes keyed by
// the normalised name. Each index is split into 4096 shards, chosen by a
// hash/maphash hash of the name, held in a two-level array (64 directories
// of 64 shards). A shard is a small open-addressing table of (hash,
// pointer to the name's rules) slots. Add and Remove copy only the top
// array, one directory, one shard and the one name's rule set; everything
// else is shared with the previous table. With 100 000 hostnames a shard
// holds about 25 names, so a change costs a few microseconds, and a lookup
// costs one hash and about one slot probe per candidate name (the exact
// host, each wildcard suffix, then "*") whatever the table size. What does
// grow with the table is the chance that those few memory loads miss the
// CPU caches.
//
// The rules of one hostname are an immutable hostRules value holding three
// sorted slices: equals rules by path (binary search), regex rules by
// pattern, prefix rules longest first; inside each, rules with a method
// come before the rule without one for the same path. A change rebuilds
// only the touched slice, so it costs O(rules of that hostname).
// Regexes are compiled once, when their rule is added.
//
// Regex hostnames are a sorted list per position, each with its compiled
// pattern and its literal suffix: a request host tries only those whose
// suffix it ends with, then their patterns; a table without regex
// hostnames pays one length test.
//
// Lookup and Match allocate nothing: the host is lowercased into a fixed
// stack array (copied to a pooled buffer before a regex hostname's pattern
// sees it), name comparisons use string(b) == s (which does not copy), and
// regexp.Regexp.Match on a []byte reuses pooled matchers. The one
// exception: a regex condition on a percent-encoded query value decodes it
// into a new slice.
package router
