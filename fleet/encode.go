package fleet

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// Encode returns the keys and values that describe s under l: the inverse
// of Build (Build(l, Encode(l, s)) gives a State whose dump equals s's).
// Frontends are named after what routes to them: "ADDRESS/HOSTNAME" for a
// tcp frontend (or "ADDRESS/default" without hostname),
// "ADDRESS/HOSTNAME PATH" for an http one, with "=" before an exact path,
// "~" before a regex, and " METHOD" after; a name taken twice (two
// frontends told apart by conditions) gets "#2", "#3", ... Certificates are
// named "ADDRESS/FINGERPRINT".
func Encode(l Layout, s state.State) (map[string][]byte, error) {
	d := s.Dump()
	out := map[string][]byte{}
	put := func(k Kind, id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", k, id, err)
		}
		key := l.Key(k, id)
		for n := 2; out[key] != nil; n++ {
			key = fmt.Sprintf("%s#%d", l.Key(k, id), n)
		}
		out[key] = b
		return nil
	}
	var err error
	for _, v := range d.Listeners {
		err = orErr(err, put(Listeners, v.Address, v))
	}
	for _, v := range d.Clusters {
		err = orErr(err, put(Clusters, v.ID, v))
	}
	for _, fs := range [][]order.HTTPFrontend{d.HTTPFrontends, d.HTTPSFrontends} {
		for _, v := range fs {
			err = orErr(err, put(Frontends, httpName(v), v))
		}
	}
	for _, v := range d.TCPFrontends {
		err = orErr(err, put(Frontends, v.Address+"/"+cmpOr(v.Hostname, "default"), v))
	}
	for _, v := range d.Backends {
		err = orErr(err, put(Backends, v.ClusterID+"/"+v.ID, v))
	}
	infos := s.Certificates("")
	for i, v := range d.Certificates {
		err = orErr(err, put(Certificates, v.Address+"/"+infos[i].Fingerprint, v))
	}
	return out, err
}

func httpName(f order.HTTPFrontend) string {
	var b strings.Builder
	b.WriteString(f.Address + "/" + f.Hostname)
	if f.Path != "" || f.PathType == order.Equals || f.PathType == order.Regex {
		b.WriteByte(' ')
		switch f.PathType {
		case order.Equals:
			b.WriteByte('=')
		case order.Regex:
			b.WriteByte('~')
		}
		b.WriteString(f.Path)
	}
	if f.Method != "" {
		b.WriteString(" " + f.Method)
	}
	return b.String()
}

func orErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
