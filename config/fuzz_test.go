package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluiceproxy/sluice/state"
)

// FuzzLoad feeds arbitrary bytes to Load as a configuration file (in a
// folder where certs/ and errors/ lead to the test files). Load must not
// panic, and must return either problems, each an *Error naming the file,
// or a Config whose Orders all apply to a fresh state.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range errCases {
		f.Add([]byte(c.text))
	}
	dir := f.TempDir()
	linkTestdata(f, dir)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := os.CreateTemp(dir, "fuzz-*.toml")
		if err != nil {
			t.Fatal(err)
		}
		name := file.Name()
		defer os.Remove(name)
		if _, err := file.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := file.Close(); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(name)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			if es, ok := err.(Errors); ok && len(es) < 2 {
				t.Fatalf("Errors with %d problems", len(es))
			}
			for _, e := range asList(err) {
				if e.File != name || e.Msg == "" || e.Line < 0 || e.Column < 0 {
					t.Fatalf("bad problem %#v", e)
				}
			}
			return
		}
		s := state.New()
		for i, o := range cfg.Orders {
			next, _, err := s.Apply(o)
			if err != nil {
				t.Fatalf("order %d (%s) of a loaded config fails: %v", i, o.Kind(), err)
			}
			s = next
		}
	})
}

func asList(err error) []*Error {
	if es, ok := err.(Errors); ok {
		return es
	}
	return []*Error{err.(*Error)}
}
