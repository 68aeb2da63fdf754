package config

import "testing"

// max_idle_per_backend and bulk_buffers: their defaults when absent, 0 in
// the file is none (proxy.Config's -1), a count otherwise.
func TestProxyWideCounts(t *testing.T) {
	idle := func(c *Config) int { return c.Proxy.MaxIdlePerBackend }
	bulk := func(c *Config) int { return c.Proxy.BulkBuffers }
	for _, c := range []struct {
		text string
		get  func(*Config) int
		want int
	}{
		{"", idle, DefaultMaxIdlePerBackend},
		{"max_idle_per_backend = 0\n", idle, -1},
		{"max_idle_per_backend = 64\n", idle, 64},
		{"", bulk, DefaultBulkBuffers},
		{"bulk_buffers = 0\n", bulk, -1},
		{"bulk_buffers = 100\n", bulk, 100},
	} {
		cfg, err := Load(writeConfig(t, c.text))
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if got := c.get(cfg); got != c.want {
			t.Errorf("%q: %d, want %d", c.text, got, c.want)
		}
	}
}
