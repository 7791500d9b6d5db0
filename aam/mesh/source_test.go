package mesh_test

import (
	"errors"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
)

func TestParseSource(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]mesh.Source{
		"": mesh.SourceLegacy, "0": mesh.SourceLegacy, "false": mesh.SourceLegacy, "OFF": mesh.SourceLegacy,
		"1": mesh.SourceAAM, "true": mesh.SourceAAM, " On ": mesh.SourceAAM, "yes": mesh.SourceAAM,
	} {
		got, err := mesh.ParseSource(v)
		if err != nil || got != want {
			t.Errorf("ParseSource(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := mesh.ParseSource("maybe"); !errors.Is(err, mesh.ErrInvalidSource) {
		t.Errorf("ParseSource(maybe) err = %v", err)
	}
	env := map[string]string{"USE_AAM_AS_SOURCE": "true"}
	s, err := mesh.SourceFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || s != mesh.SourceAAM {
		t.Errorf("SourceFromEnv = %v, %v", s, err)
	}
	if got := mesh.Select(s, "stream", "legacy"); got != "stream" {
		t.Errorf("Select(aam) = %q", got)
	}
	if got := mesh.Select(mesh.SourceLegacy, "stream", "legacy"); got != "legacy" {
		t.Errorf("Select(legacy) = %q", got)
	}
}
