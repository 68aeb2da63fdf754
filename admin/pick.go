package admin

import (
	"fmt"
	"net/http"

	"github.com/sluiceproxy/sluice/order"
)

// The gets of one object: the list order's answer keeps only the object
// the path names, in the same list (so a get answers as a list of one).

func pickListener(r *http.Request, c *order.Content) bool {
	c.Listeners = keep(c.Listeners, func(l order.Listener) bool { return l.Address == r.PathValue("address") })
	return len(c.Listeners) == 1
}

func pickCluster(r *http.Request, c *order.Content) bool {
	c.Clusters = keep(c.Clusters, func(x order.Cluster) bool { return x.ID == r.PathValue("id") })
	return len(c.Clusters) == 1
}

func pickBackend(r *http.Request, c *order.Content) bool {
	c.Backends = keep(c.Backends, func(b order.BackendStatus) bool { return b.ID == r.PathValue("id") })
	return len(c.Backends) == 1
}

func pickCertificate(r *http.Request, c *order.Content) bool {
	fp := order.NormalizeFingerprint(r.PathValue("fingerprint"))
	c.Certificates = keep(c.Certificates, func(x order.CertificateInfo) bool { return x.Fingerprint == fp })
	return len(c.Certificates) == 1
}

func keep[T any](list []T, ok func(T) bool) []T {
	var out []T
	for _, x := range list {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}

// notFoundMessage words a get of an object that does not exist as the
// proxy words an order naming one.
func notFoundMessage(rt *route, r *http.Request) string {
	switch rt.kind {
	case "list_listeners":
		return fmt.Sprintf("listener.address: no listener on %s", r.PathValue("address"))
	case "list_clusters":
		return fmt.Sprintf("cluster.id: no cluster %q", r.PathValue("id"))
	case "list_backends":
		return fmt.Sprintf("backend.id: no backend %q in cluster %q", r.PathValue("id"), r.PathValue("cluster_id"))
	case "list_certificates":
		return fmt.Sprintf("certificate.fingerprint: no certificate %s on %s",
			order.NormalizeFingerprint(r.PathValue("fingerprint")), r.PathValue("address"))
	}
	return "not found"
}
