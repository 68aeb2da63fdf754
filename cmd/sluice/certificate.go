package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// fingerprint checks a fingerprint flag and returns it in the proxy's form
// (order.NormalizeFingerprint): a mistyped one is a usage error.
func fingerprint(flag, fp string) (string, error) {
	if !order.IsFingerprint(fp) {
		return "", &exitError{code: exitUsage, err: fmt.Errorf("--%s: %q is not a SHA-256 fingerprint "+
			"(64 hex digits, or 32 pairs joined by ':' as openssl prints them)", flag, fp)}
	}
	return order.NormalizeFingerprint(fp), nil
}

// readCert reads PEM files into a certificate order's payload.
func readCert(certFile, keyFile string, chainFiles, names []string) (order.CertificateAndKey, error) {
	var c order.CertificateAndKey
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", &exitError{code: exitUsage, err: err}
		}
		return string(b), nil
	}
	var err error
	if c.Certificate, err = read(certFile); err != nil {
		return c, err
	}
	if c.Key, err = read(keyFile); err != nil {
		return c, err
	}
	for _, f := range chainFiles {
		pem, err := read(f)
		if err != nil {
			return c, err
		}
		c.Chain = append(c.Chain, pem)
	}
	c.Names = names
	return c, nil
}

func certificateCommand(g *globals) *cobra.Command {
	var listAddr string
	list := &cobra.Command{Use: "list", Short: "List certificates with fingerprint, names and expiry", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.send(cmd, order.ListCertificates{Address: listAddr}, printCertificates)
		}}
	list.Flags().StringVar(&listAddr, "address", "", "only this listener's certificates")

	files := func(cmd *cobra.Command, cert, key *string, chain, names *[]string) {
		f := cmd.Flags()
		f.StringVar(cert, "certificate", "", "PEM certificate file")
		f.StringVar(key, "key", "", "PEM private key file")
		f.StringSliceVar(chain, "chain", nil, "PEM chain file(s)")
		f.StringSliceVar(names, "names", nil, "names to serve it for (default: its SANs)")
		required(cmd, "certificate", "key")
	}
	var addr, cert, key, oldFP, fp string
	var chain, names []string
	add := &cobra.Command{Use: "add", Short: "Attach a certificate to an https listener", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := readCert(cert, key, chain, names)
			if err != nil {
				return err
			}
			return g.send(cmd, order.AddCertificate{Address: addr, Certificate: c}, nil)
		}}
	add.Flags().StringVar(&addr, "address", "", "https listener address")
	files(add, &cert, &key, &chain, &names)
	required(add, "address")

	replace := &cobra.Command{Use: "replace", Short: "Replace a certificate without dropping connections", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			old, err := fingerprint("old-fingerprint", oldFP)
			if err != nil {
				return err
			}
			c, err := readCert(cert, key, chain, names)
			if err != nil {
				return err
			}
			return g.send(cmd, order.ReplaceCertificate{Address: addr, OldFingerprint: old, Certificate: c}, nil)
		}}
	replace.Flags().StringVar(&addr, "address", "", "https listener address")
	replace.Flags().StringVar(&oldFP, "old-fingerprint", "", "SHA-256 fingerprint of the certificate to replace (hex, or AB:CD:... as openssl prints it)")
	files(replace, &cert, &key, &chain, &names)
	required(replace, "address", "old-fingerprint")

	remove := &cobra.Command{Use: "remove", Short: "Detach a certificate from an https listener", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			norm, err := fingerprint("fingerprint", fp)
			if err != nil {
				return err
			}
			return g.send(cmd, order.RemoveCertificate{Address: addr, Fingerprint: norm}, nil)
		}}
	remove.Flags().StringVar(&addr, "address", "", "https listener address")
	remove.Flags().StringVar(&fp, "fingerprint", "", "SHA-256 fingerprint (hex, or AB:CD:... as openssl prints it)")
	required(remove, "address", "fingerprint")
	return group("certificate", "List, add, replace and remove certificates", list, add, replace, remove)
}
