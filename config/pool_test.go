package config

import "testing"

// max_idle_per_backend: 1024 when absent, 0 in the file is no pooling
// (proxy.Config's -1), a count otherwise.
func TestMaxIdlePerBackend(t *testing.T) {
	for text, want := range map[string]int{
		"":                            DefaultMaxIdlePerBackend,
		"max_idle_per_backend = 0\n":  -1,
		"max_idle_per_backend = 64\n": 64,
	} {
		cfg, err := Load(writeConfig(t, text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got := cfg.Proxy.MaxIdlePerBackend; got != want {
			t.Errorf("%q: MaxIdlePerBackend %d, want %d", text, got, want)
		}
	}
}

// bulk_buffers: 512 when absent, 0 in the file is none (proxy.Config's
// -1), a count otherwise.
func TestBulkBuffers(t *testing.T) {
	for text, want := range map[string]int{
		"":                     DefaultBulkBuffers,
		"bulk_buffers = 0\n":   -1,
		"bulk_buffers = 100\n": 100,
	} {
		cfg, err := Load(writeConfig(t, text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got := cfg.Proxy.BulkBuffers; got != want {
			t.Errorf("%q: BulkBuffers %d, want %d", text, got, want)
		}
	}
}
