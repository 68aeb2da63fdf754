package order

import "strings"

// Object names what a configuration order adds, changes or removes, in a
// few words a log line or an event can carry: "backend shop/shop-3",
// "listener 127.0.0.1:8080", "http frontend 127.0.0.1:8080 shop.test/api",
// "certificate 127.0.0.1:8443 3b67a015…". Other orders give "".
func Object(o Order) string {
	switch o := o.(type) {
	case AddListener:
		return "listener " + o.Address
	case RemoveListener:
		return "listener " + o.Address
	case ActivateListener:
		return "listener " + o.Address
	case DeactivateListener:
		return "listener " + o.Address
	case UpdateListener:
		return "listener " + o.Address
	case AddCluster:
		return "cluster " + o.ID
	case RemoveCluster:
		return "cluster " + o.ID
	case UpdateCluster:
		return "cluster " + o.ID
	case AddBackend:
		return "backend " + o.ClusterID + "/" + o.ID
	case RemoveBackend:
		return "backend " + o.ClusterID + "/" + o.ID
	case UpdateBackend:
		return "backend " + o.ClusterID + "/" + o.ID
	case AddHTTPFrontend:
		return frontendObject("http", o.HTTPFrontend)
	case RemoveHTTPFrontend:
		return frontendObject("http", o.HTTPFrontend)
	case UpdateHTTPFrontend:
		return frontendObject("http", o.HTTPFrontend)
	case AddHTTPSFrontend:
		return frontendObject("https", o.HTTPFrontend)
	case RemoveHTTPSFrontend:
		return frontendObject("https", o.HTTPFrontend)
	case UpdateHTTPSFrontend:
		return frontendObject("https", o.HTTPFrontend)
	case AddTCPFrontend:
		return o.TCPFrontend.object()
	case RemoveTCPFrontend:
		return o.TCPFrontend.object()
	case UpdateTCPFrontend:
		return o.TCPFrontend.object()
	case AddCertificate:
		return "certificate " + o.Address
	case ReplaceCertificate:
		return "certificate " + o.Address + " " + shortFP(o.OldFingerprint)
	case RemoveCertificate:
		return "certificate " + o.Address + " " + shortFP(o.Fingerprint)
	}
	return ""
}

func frontendObject(proto string, f HTTPFrontend) string {
	var b strings.Builder
	b.WriteString(proto + " frontend " + f.Address + " " + f.Hostname + f.Path)
	if f.Method != "" {
		b.WriteString(" " + f.Method)
	}
	b.WriteString(f.routeString())
	return b.String()
}

func shortFP(fp string) string {
	if len(fp) > 8 {
		return fp[:8] + "…"
	}
	return fp
}
