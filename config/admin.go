package config

import "github.com/sluiceproxy/sluice/admin"

// admin reads the [admin] table: its address, and where its tokens come
// from (the tokens themselves are read when the daemon starts).
func (l *loader) admin(a *Admin, t *table) {
	a.Address = hostPort(t, "address", false)
	if t.has("token_file") {
		a.TokenFile = l.path(t, "token_file", "")
	}
	a.TokenEnv = t.str("token_env")
	if t.has("read_only_token_file") {
		a.ReadOnlyTokenFile = l.path(t, "read_only_token_file", "")
	}
	a.ReadOnlyTokenEnv = t.str("read_only_token_env")
	if a.TokenFile != "" && a.TokenEnv != "" {
		t.errKey("token_env", "token_file is set: the token comes from one of them")
	}
	if a.ReadOnlyTokenFile != "" && a.ReadOnlyTokenEnv != "" {
		t.errKey("read_only_token_env", "read_only_token_file is set: the token comes from one of them")
	}
	write := a.TokenFile != "" || a.TokenEnv != ""
	if !write && (a.ReadOnlyTokenFile != "" || a.ReadOnlyTokenEnv != "") {
		key := "read_only_token_file"
		if a.ReadOnlyTokenFile == "" {
			key = "read_only_token_env"
		}
		t.errKey(key, "a read-only token needs a write token (token_file or token_env) too")
	}
	if a.Address != "" && !write && !admin.IsLoopback(a.Address) {
		t.errKey("address", "%s is not a loopback address: a token is required (token_file or token_env), "+
			"or listen on 127.0.0.1", a.Address)
	}
	if a.Address == "" && write {
		t.errKey("address", "missing: the tokens protect nothing without an address")
	}
}
