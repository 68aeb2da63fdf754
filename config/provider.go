package config

import (
	"net/url"
	"strings"

	"github.com/sluiceproxy/sluice/fleet"
)

// provider reads the [provider] table: [provider.etcd] makes the daemon
// follow etcd (fleet mode, docs/fleet.md). Its keys:
//
//	endpoints = ["http://127.0.0.1:2379"]  # etcd's client URLs; required
//	prefix = "/sluice/"                    # the fleet's key prefix; default /sluice/
//	cert_file = "etcd-client.pem"          # client certificate (TLS), with key_file
//	key_file = "etcd-client.key"
//	ca_file = "etcd-ca.pem"                # CA of etcd's server certificate
//	username = "sluice"                    # etcd authentication; with password
//	password = "..."
//	instance_id = "edge-1"                 # name under PREFIX/instances/; default host:socket
//
// Paths resolve against the configuration file's folder.
func (l *loader) provider(cfg *Config, t *table) {
	p := t.sub("provider")
	if p == nil {
		return
	}
	defer p.done()
	e := p.sub("etcd")
	if e == nil {
		return
	}
	defer e.done()
	c := &fleet.ClientConfig{}
	c.Endpoints = e.strings("endpoints")
	if len(c.Endpoints) == 0 && !e.has("endpoints") {
		e.errTable("endpoints is required (etcd's client URLs, e.g. [\"http://127.0.0.1:2379\"])")
	} else if len(c.Endpoints) == 0 {
		e.errKey("endpoints", "no endpoint")
	}
	for _, ep := range c.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" {
			e.errKey("endpoints", "%q is not an etcd client URL (http://host:port or https://host:port)", ep)
			break
		}
	}
	if e.has("prefix") {
		c.Prefix = e.str("prefix")
		if !strings.HasPrefix(c.Prefix, "/") || strings.Contains(c.Prefix, "//") {
			e.errKey("prefix", "%q: a prefix starts with / and has no empty segment (e.g. \"/sluice/\")", c.Prefix)
		}
	}
	c.CertFile = l.path(e, "cert_file", "")
	c.KeyFile = l.path(e, "key_file", "")
	c.CAFile = l.path(e, "ca_file", "")
	if (c.CertFile == "") != (c.KeyFile == "") {
		e.errKey(map[bool]string{true: "key_file", false: "cert_file"}[c.CertFile == ""],
			"cert_file and key_file go together (a client certificate and its key)")
	}
	c.Username = e.str("username")
	c.Password = e.str("password")
	if (c.Username == "") != (c.Password == "") {
		e.errKey(map[bool]string{true: "password", false: "username"}[c.Username == ""], "username and password go together")
	}
	c.InstanceID = e.str("instance_id")
	if strings.Contains(c.InstanceID, "/") {
		e.errKey("instance_id", "%q: no / in an instance id", c.InstanceID)
	}
	cfg.Etcd = c
}
