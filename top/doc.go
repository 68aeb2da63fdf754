// Package top is `sluice top`: a terminal view of a running proxy, polled
// over its command socket once a second. It shows the clusters (or all
// backends, or one cluster's backends) with their requests per second,
// errors per second and ratio, 99th percentile time and requests in
// flight, sorted and filtered at the keyboard.
//
// The parts are apart so that each is tested alone:
//
//   - [Sample] is what one poll gives, and [Socket] takes it from a command
//     socket (status, metrics with buckets, list_backends), dialing again
//     after a failure;
//   - [Compute] turns samples into rows: rates from the counters' increase
//     between two polls, quantiles from the histograms' increase over a
//     window; a pure function of the samples and their times;
//   - [Model] is the state and its Update (keys, polls, failures), a
//     bubbletea model that reaches the socket only through a [Source];
//   - render (view.go) draws a Model as text, within the terminal's size.
//
// docs/observability.md ("sluice top") shows a screen and the keys.
package top
