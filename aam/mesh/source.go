package mesh

import (
	"fmt"
	"strconv"
	"strings"
)

// SourceFlag is the name of the environment variable that chooses where
// the DCL reads its events from.
const SourceFlag = "USE_AAM_AS_SOURCE"

// Source says where the DCL reads canonical events from, the
// USE_AAM_AS_SOURCE switch of the system this replaces. Both sources
// feed the same path (normalize, then the DCL's consumer); only the
// origin of the events differs. The zero value is [SourceLegacy].
type Source int

const (
	// SourceLegacy: the DCL's legacy direct connectors read the sources
	// themselves (USE_AAM_AS_SOURCE off or unset).
	SourceLegacy Source = iota
	// SourceAAM: the DCL subscribes to the AAM event stream that the
	// Mesh publishes to (USE_AAM_AS_SOURCE on).
	SourceAAM
)

// String returns "aam" or "legacy".
func (s Source) String() string {
	if s == SourceAAM {
		return "aam"
	}
	return "legacy"
}

// ParseSource reads a USE_AAM_AS_SOURCE value: "1", "true", "on", "yes"
// (any case) mean [SourceAAM]; "", "0", "false", "off", "no" mean
// [SourceLegacy]; anything else is an error matching [ErrInvalidSource].
func ParseSource(v string) (Source, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "t", "on", "yes", "y":
		return SourceAAM, nil
	case "", "0", "false", "f", "off", "no", "n":
		return SourceLegacy, nil
	}
	return SourceLegacy, fmt.Errorf("%w: %s=%s (want true or false)", ErrInvalidSource, SourceFlag, strconv.Quote(v))
}

// SourceFromEnv reads USE_AAM_AS_SOURCE through lookup (os.LookupEnv in
// a program, a map in a test).
func SourceFromEnv(lookup func(string) (string, bool)) (Source, error) {
	v, _ := lookup(SourceFlag)
	return ParseSource(v)
}

// Select returns aam when s is [SourceAAM] and legacy otherwise: hostd
// picks the DCL's event feed with it without this package knowing the
// DCL's types.
func Select[T any](s Source, aam, legacy T) T {
	if s == SourceAAM {
		return aam
	}
	return legacy
}
