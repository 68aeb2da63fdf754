package proxy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// persist writes the configuration to Config.SavedState, when it is set
// (see there). It returns the error to tell the order's client.
func (p *proxy) persist() error {
	if p.cfg.SavedState == "" {
		return nil
	}
	if err := writeState(p.cfg.SavedState, p.state.Dump()); err != nil {
		p.persistErrors++
		p.cfg.Logger.Error("saving the state failed: the running configuration is not on disk",
			"path", p.cfg.SavedState, "error", err)
		return fmt.Errorf("applied, but saving the state to %s failed: %w", p.cfg.SavedState, err)
	}
	return nil
}

// writeState writes st to path as JSON through a temporary file in the
// same folder, mode 0600, synced, renamed into place; then the folder is
// synced, so that the rename survives a crash.
func writeState(path string, st any) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".sluice-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, this fails harmlessly
	if err = tmp.Chmod(0o600); err == nil {
		if _, err = tmp.Write(append(data, '\n')); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not every file system syncs folders; the rename is done
		d.Close()
	}
	return nil
}
