package main

import (
	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// hstsFlags adds --hsts-max-age, --hsts-include-subdomains and
// --hsts-preload to cmd and returns a function giving the policy they
// describe: nil unless --hsts-max-age was given.
func hstsFlags(cmd *cobra.Command) func() *order.HSTS {
	var h order.HSTS
	f := cmd.Flags()
	f.Int64Var(&h.MaxAge, "hsts-max-age", 0, "send Strict-Transport-Security on https with this max-age in seconds (31536000 = a year)")
	f.BoolVar(&h.IncludeSubDomains, "hsts-include-subdomains", false, "add includeSubDomains to the HSTS header")
	f.BoolVar(&h.Preload, "hsts-preload", false, "add preload to the HSTS header")
	return func() *order.HSTS {
		if !f.Changed("hsts-max-age") {
			return nil
		}
		return &h
	}
}
