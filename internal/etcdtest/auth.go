package etcdtest

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
)

// EnableAuth turns on etcd's own authentication, through the v3 client's
// Auth API on an in-process connection (no certificate needed): the root
// user with rootPassword, user with password and a role of the same name
// allowed to read and write every key under prefix, then auth itself.
// From then on a client without a user (or a client certificate whose
// common name is a user) is refused.
func (s *Server) EnableAuth(rootPassword, user, password, prefix string) error {
	cli := v3client.New(s.e.Server)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"add root", func() error { _, err := cli.UserAdd(ctx, "root", rootPassword); return err }},
		{"grant root", func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err }},
		{"add role", func() error { _, err := cli.RoleAdd(ctx, user); return err }},
		{"grant the prefix", func() error {
			_, err := cli.RoleGrantPermission(ctx, user, prefix, clientv3.GetPrefixRangeEnd(prefix),
				clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		}},
		{"add user", func() error { _, err := cli.UserAdd(ctx, user, password); return err }},
		{"grant user", func() error { _, err := cli.UserGrantRole(ctx, user, user); return err }},
		{"enable", func() error { _, err := cli.AuthEnable(ctx); return err }},
	} {
		if err := step.do(); err != nil {
			return fmt.Errorf("etcdtest: auth: %s: %w", step.what, err)
		}
	}
	return nil
}
