// Package health decides whether a backend may take traffic.
//
// Two sources feed one state machine per backend ([State]):
//
//   - passive health, from the connects real requests make: a refused or
//     timed-out connect is a failure, a completed connect a success.
//     Failures put the backend in backoff for an exponentially growing,
//     jittered and capped time; a backend in backoff whose wait has passed
//     takes one trial request at a time. After [Policy.MaxFailures]
//     failures in a row it is down: it takes no request, and a connect made
//     for none (a recovery probe at its retry time) tells when it is back.
//     Any good connect brings it up at once.
//   - active checks (an HTTP request or a TCP connect every interval): Fall
//     failed checks in a row mark the backend down, Rise good ones up.
//
// Everything here is pure: the caller passes the time and the random draw,
// and gets back the transition to act on (an event, a log line). Nothing
// sleeps, dials or reads a clock; tests drive it with a fake clock. The
// caller serialises calls on one State.
package health
