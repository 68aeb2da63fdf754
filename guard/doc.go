// Package guard holds the request guards of the traffic policy: basic
// authentication (Auth), rate limits (Limiter, a fixed-size table of token
// buckets) and retry budgets (Budget). Each is built once from its order
// settings and shared, safe for concurrent use, by every request of the
// frontend or cluster it belongs to.
package guard
