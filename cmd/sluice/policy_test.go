package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// TestPolicyFlags: the policy flags make the orders' settings, with the
// configuration file's keys.
func TestPolicyFlags(t *testing.T) {
	var got order.UpdateCluster
	cmd := &cobra.Command{Use: "x", RunE: nil}
	fill := clusterPolicyUpdate(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return fill(&got) }
	cmd.SetArgs([]string{"--retry", "attempts=2,on_status=502+503,backoff=50ms",
		"--rate-limit", "rate=100,burst=200,key=header,header=X-Api-Key", "--compression", "{}", "--no-hash-key"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := order.UpdateCluster{
		Retry:       order.Some(&order.Retry{Attempts: 2, OnStatus: []int{502, 503}, Backoff: order.Duration(50 * time.Millisecond)}),
		RateLimit:   order.Some(&order.RateLimit{Rate: 100, Burst: 200, Key: "header", Header: "X-Api-Key"}),
		Compression: order.Some(&order.Compression{}),
		HashKey:     order.Some[*order.HashKey](nil),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	var fr order.UpdateHTTPFrontend
	cmd = &cobra.Command{Use: "update"}
	ffill := frontendPolicyFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return ffill(&fr) }
	cmd.SetArgs([]string{"--user", "alice=$2a$04$x", "--user", "bob=$argon2id$y", "--basic-auth", "realm=staff,forward_authorization=true"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	wantAuth := &order.BasicAuth{Realm: "staff", ForwardAuthorization: true,
		Users: map[string]string{"alice": "$2a$04$x", "bob": "$argon2id$y"}}
	if !reflect.DeepEqual(fr.BasicAuth, order.Some(wantAuth)) || fr.RateLimit.Set {
		t.Fatalf("basic auth %+v, rate limit %+v", fr.BasicAuth, fr.RateLimit)
	}

	fr = order.UpdateHTTPFrontend{}
	cmd = &cobra.Command{Use: "update"}
	ffill = frontendPolicyFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return ffill(&fr) }
	cmd.SetArgs([]string{"--no-basic-auth", "--rate-limit", "rate=5"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fr.BasicAuth, order.Some[*order.BasicAuth](nil)) ||
		!reflect.DeepEqual(fr.RateLimit, order.Some(&order.RateLimit{Rate: 5})) {
		t.Fatalf("basic auth %+v, rate limit %+v", fr.BasicAuth, fr.RateLimit)
	}
	if err := parsePairs("retry", "attemps=2", &order.Retry{}); err == nil {
		t.Fatal("an unknown key passed")
	}
}
