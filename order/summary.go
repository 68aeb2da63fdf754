package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"reflect"
	"strings"
)

// Summary names what an order is about, as key/value pairs for a log
// line (log/slog's alternating form): the key of the object it adds,
// changes or removes ("cluster", "backend", "address", ...), and a few
// telling fields (a backend's address, a frontend's target). It never
// holds a private key or a certificate's PEM: a certificate is named by
// its fingerprint. Orders it does not know (added later) are summarised
// from their fields named address, cluster_id, id, hostname, path, method
// and fingerprint.
func Summary(o Order) []any {
	switch o := o.(type) {
	case AddListener:
		return []any{"address", o.Address, "protocol", string(o.Protocol), "active", o.Active}
	case RemoveListener:
		return []any{"address", o.Address}
	case ActivateListener:
		return []any{"address", o.Address}
	case DeactivateListener:
		return []any{"address", o.Address}
	case AddCluster:
		return []any{"cluster", o.ID}
	case RemoveCluster:
		return []any{"cluster", o.ID}
	case AddHTTPFrontend:
		return frontendSummary(o.HTTPFrontend, true)
	case RemoveHTTPFrontend:
		return frontendSummary(o.HTTPFrontend, false)
	case AddHTTPSFrontend:
		return frontendSummary(o.HTTPFrontend, true)
	case RemoveHTTPSFrontend:
		return frontendSummary(o.HTTPFrontend, false)
	case AddTCPFrontend:
		return tcpSummary(o.TCPFrontend, "cluster", o.ClusterID)
	case RemoveTCPFrontend:
		return tcpSummary(o.TCPFrontend)
	case AddBackend:
		return []any{"cluster", o.ClusterID, "backend", o.ID, "address", o.Address}
	case RemoveBackend:
		return []any{"cluster", o.ClusterID, "backend", o.ID}
	case AddCertificate:
		return []any{"address", o.Address, "fingerprint", pemFingerprint(o.Certificate.Certificate)}
	case ReplaceCertificate:
		return []any{"address", o.Address, "old_fingerprint", o.OldFingerprint,
			"fingerprint", pemFingerprint(o.Certificate.Certificate)}
	case RemoveCertificate:
		return []any{"address", o.Address, "fingerprint", o.Fingerprint}
	case ListBackends:
		return optional("cluster", o.ClusterID)
	case ListCertificates:
		return optional("address", o.Address)
	case Metrics:
		return append(optional("cluster", o.ClusterID), optional("backend", o.BackendID)...)
	case SaveState:
		return []any{"path", o.Path}
	case LoadState:
		return []any{"path", o.Path}
	case SetLogLevel:
		return []any{"level", o.Level}
	case Shutdown:
		return []any{"hard", o.Hard}
	case Upgrade:
		return append(optional("binary", o.Binary), optional("timeout", durationOrEmpty(o.Timeout))...)
	case ListListeners, ListClusters, ListFrontends, Status, DumpState, SubscribeEvents:
		return nil
	}
	return fieldSummary(reflect.ValueOf(o), nil)
}

func frontendSummary(f HTTPFrontend, target bool) []any {
	out := []any{"address", f.Address, "hostname", f.Hostname}
	if f.Path != "" || f.PathType != "" && f.PathType != Prefix {
		pt := f.PathType
		if pt == "" {
			pt = Prefix
		}
		out = append(out, "path_type", string(pt), "path", f.Path)
	}
	out = append(out, optional("method", f.Method)...)
	out = append(out, optional("route", strings.TrimSpace(f.routeString()))...)
	switch {
	case !target:
	case f.Deny:
		out = append(out, "deny", true)
	default:
		out = append(out, "cluster", f.ClusterID)
	}
	return out
}

func optional(key, value string) []any {
	if value == "" {
		return nil
	}
	return []any{key, value}
}

// pemFingerprint is the SHA-256 of the first certificate in a PEM text, in
// the form certificates are listed with (lower-case hex); "" when there is
// none.
func pemFingerprint(text string) string {
	rest := []byte(text)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return ""
		}
		if b.Type == "CERTIFICATE" {
			sum := sha256.Sum256(b.Bytes)
			return hex.EncodeToString(sum[:])
		}
	}
}

// summaryFields are the fields an unknown order is summarised by, by JSON
// name.
var summaryFields = map[string]bool{"address": true, "cluster_id": true, "id": true, "hostname": true,
	"path": true, "method": true, "fingerprint": true}

// fieldSummary collects the non-empty string summaryFields of a struct and
// of the structs it embeds.
func fieldSummary(v reflect.Value, out []any) []any {
	if v.Kind() != reflect.Struct {
		return out
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous {
			out = fieldSummary(v.Field(i), out)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if summaryFields[name] && f.Type.Kind() == reflect.String && v.Field(i).String() != "" {
			out = append(out, name, v.Field(i).String())
		}
	}
	return out
}

// durationOrEmpty is d as a string, or "" for zero.
func durationOrEmpty(d Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
