package proxy

import (
	"crypto/tls"
	"reflect"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
)

// clusterTLS is the TLS client configuration of cluster c: the one it has
// when its TLS settings did not change (an update of other settings keeps
// the pooled connections, which belong to a configuration, and the TLS
// session cache), else a new one.
func (p *proxy) clusterTLS(c order.Cluster) (*tls.Config, error) {
	if rc := p.clusters[c.ID]; rc != nil {
		if old := rc.Settings(); reflect.DeepEqual(old.Cluster.TLS, c.TLS) {
			return old.TLS, nil
		}
	}
	return backend.NewTLSConfig(c.TLS)
}
