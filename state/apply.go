package state

import (
	"github.com/sluiceproxy/sluice/order"
)

// Apply validates o against s and returns the State after it with the
// effects that bring the running proxy from s to it. On error it returns
// s itself, no effect, and an *order.FieldError naming the field; s is
// never changed, error or not.
//
// Everything that can be checked without I/O is checked here, before any
// effect exists: the order's fields (o.Validate), references, conflicts,
// answer templates (answer.Compile), certificates (cert.Parse, at the
// State's clock). Queries (list_*, status, dump_state) are accepted and
// change nothing; orders about the proxy itself (save_state, shutdown, …)
// are refused: they are not configuration.
//
// Apply is the only place that looks inside a configuration order: the
// proxy only runs the effects.
func (s State) Apply(o order.Order) (State, []Effect, error) {
	if o == nil {
		return s, nil, errf("kind", "missing order")
	}
	if err := o.Validate(); err != nil {
		return s, nil, err
	}
	t := &step{s: s}
	var err error
	switch o := o.(type) {
	case order.AddListener:
		err = t.addListener(o.Listener)
	case order.UpdateListener:
		err = t.updateListener(o)
	case order.RemoveListener:
		err = t.removeListener(o.Address)
	case order.ActivateListener:
		err = t.setActive(o.Address, true)
	case order.DeactivateListener:
		err = t.setActive(o.Address, false)
	case order.AddCluster:
		err = t.addCluster(o.Cluster)
	case order.UpdateCluster:
		err = t.updateCluster(o)
	case order.RemoveCluster:
		err = t.removeCluster(o.ID)
	case order.AddHTTPFrontend:
		err = t.addHTTPFrontend(order.HTTP, o.HTTPFrontend)
	case order.AddHTTPSFrontend:
		err = t.addHTTPFrontend(order.HTTPS, o.HTTPFrontend)
	case order.UpdateHTTPFrontend:
		err = t.updateHTTPFrontend(order.HTTP, o)
	case order.UpdateHTTPSFrontend:
		err = t.updateHTTPFrontend(order.HTTPS, order.UpdateHTTPFrontend(o))
	case order.RemoveHTTPFrontend:
		err = t.removeHTTPFrontend(order.HTTP, o.HTTPFrontend)
	case order.RemoveHTTPSFrontend:
		err = t.removeHTTPFrontend(order.HTTPS, o.HTTPFrontend)
	case order.AddTCPFrontend:
		err = t.addTCPFrontend(o.TCPFrontend)
	case order.UpdateTCPFrontend:
		err = t.updateTCPFrontend(o.TCPFrontend)
	case order.RemoveTCPFrontend:
		err = t.removeTCPFrontend(o.TCPFrontend)
	case order.AddBackend:
		err = t.addBackend(o.Backend)
	case order.UpdateBackend:
		err = t.updateBackend(o)
	case order.RemoveBackend:
		err = t.removeBackend(o.ClusterID, o.ID)
	case order.AddCertificate:
		err = t.addCertificate(o)
	case order.ReplaceCertificate:
		err = t.replaceCertificate(o)
	case order.RemoveCertificate:
		err = t.removeCertificate(o)
	case order.ListListeners, order.ListClusters, order.ListFrontends, order.ListBackends,
		order.ListCertificates, order.Status, order.DumpState, order.Metrics:
		// Queries change nothing.
	default:
		err = errf("kind", "%s is not a configuration order", o.Kind())
	}
	if err != nil {
		return s, nil, err
	}
	return t.s, t.fx, nil
}

// step is one order being applied: the State it builds, from the one
// Apply was called on, and the effects so far.
type step struct {
	s  State
	fx []Effect
}

func (t *step) emit(e ...Effect) { t.fx = append(t.fx, e...) }
