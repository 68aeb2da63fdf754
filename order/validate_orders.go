package order

// Validate methods of the order types: each checks its own fields only.

func (o AddListener) Validate() error { return o.Listener.Validate() }
func (o RemoveListener) Validate() error {
	return ValidateAddress("listener.address", o.Address)
}
func (o ActivateListener) Validate() error {
	return ValidateAddress("listener.address", o.Address)
}
func (o DeactivateListener) Validate() error {
	return ValidateAddress("listener.address", o.Address)
}
func (o AddCluster) Validate() error    { return o.Cluster.Validate() }
func (o RemoveCluster) Validate() error { return ValidateID("cluster.id", o.ID) }
func (o AddHTTPFrontend) Validate() error {
	return o.HTTPFrontend.Validate()
}
func (o RemoveHTTPFrontend) Validate() error {
	return o.HTTPFrontend.validateKey()
}
func (o AddHTTPSFrontend) Validate() error {
	return o.HTTPFrontend.Validate()
}
func (o RemoveHTTPSFrontend) Validate() error {
	return o.HTTPFrontend.validateKey()
}
func (o AddTCPFrontend) Validate() error { return o.TCPFrontend.Validate() }
func (o RemoveTCPFrontend) Validate() error {
	if err := ValidateAddress("frontend.address", o.Address); err != nil {
		return err
	}
	_, err := NormalizeSNI("frontend.hostname", o.Hostname)
	return err
}
func (o AddBackend) Validate() error { return o.Backend.Validate() }
func (o RemoveBackend) Validate() error {
	if err := ValidateID("backend.cluster_id", o.ClusterID); err != nil {
		return err
	}
	return ValidateID("backend.id", o.ID)
}
func (o AddCertificate) Validate() error {
	if err := ValidateAddress("certificate.address", o.Address); err != nil {
		return err
	}
	return o.Certificate.Validate()
}
func (o ReplaceCertificate) Validate() error {
	if err := ValidateAddress("certificate.address", o.Address); err != nil {
		return err
	}
	if o.OldFingerprint == "" {
		return fieldErr("certificate.old_fingerprint", "missing")
	}
	return o.Certificate.Validate()
}
func (o RemoveCertificate) Validate() error {
	if err := ValidateAddress("certificate.address", o.Address); err != nil {
		return err
	}
	if o.Fingerprint == "" {
		return fieldErr("certificate.fingerprint", "missing")
	}
	return nil
}
func (ListListeners) Validate() error { return nil }
func (ListClusters) Validate() error  { return nil }
func (ListFrontends) Validate() error { return nil }
func (o ListBackends) Validate() error {
	if o.ClusterID == "" {
		return nil
	}
	return ValidateID("backend.cluster_id", o.ClusterID)
}
func (o ListCertificates) Validate() error {
	if o.Address == "" {
		return nil
	}
	return ValidateAddress("certificate.address", o.Address)
}
func (Status) Validate() error    { return nil }
func (DumpState) Validate() error { return nil }
