package order

import "fmt"

// Reload makes the running configuration equal to Target: the orders that
// build it from nothing (a configuration file's listeners, clusters,
// frontends, backends and certificates, as config.Load gives them, in an
// order that satisfies their references). The proxy builds that
// configuration apart, computes the orders that turn the running one into
// it (removes, updates, adds: state.Diff) and applies them as one batch,
// all or nothing; objects that are the same are not touched, and requests
// in flight finish on what they started with. The answer's Content.Orders
// lists the batch. With DryRun the batch is computed and answered but not
// applied.
type Reload struct {
	Target []Request `json:"target"`
	DryRun bool      `json:"dry_run,omitempty"`
}

func (Reload) Kind() Kind { return "reload" }

// Validate checks every target order as the proxy would, and that each is
// one that builds configuration (an add_* or activate_listener), not a
// query or a control order.
func (o Reload) Validate() error {
	for i, r := range o.Target {
		if r.Order == nil {
			return fieldErr("target", "order %d: missing", i+1)
		}
		if !buildsConfig(r.Order) {
			return fieldErr("target", "order %d: %s does not build configuration", i+1, r.Order.Kind())
		}
		if err := r.Order.Validate(); err != nil {
			return fmt.Errorf("target: order %d (%s): %w", i+1, r.Order.Kind(), err)
		}
	}
	return nil
}

// buildsConfig reports the orders a target may hold.
func buildsConfig(o Order) bool {
	switch o.(type) {
	case AddListener, ActivateListener, AddCluster, AddBackend, AddHTTPFrontend, AddHTTPSFrontend,
		AddTCPFrontend, AddCertificate:
		return true
	}
	return false
}

// Requests wraps orders as requests without ids (a Reload's target, a
// batch in an answer).
func Requests(orders []Order) []Request {
	rs := make([]Request, len(orders))
	for i, o := range orders {
		rs[i] = Request{Order: o}
	}
	return rs
}

func init() { register(&Reload{}) }
