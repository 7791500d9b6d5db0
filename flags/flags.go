package flags

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/autonomos/autonomos/tenancy"
)

var (
	// ErrUnknownFlag is returned for a name the catalog does not hold.
	ErrUnknownFlag = errors.New("flags: unknown flag")
	// ErrInvalidFlag is returned for a catalog entry that cannot be used.
	ErrInvalidFlag = errors.New("flags: invalid flag definition")
	// ErrClosed is returned by a closed store.
	ErrClosed = errors.New("flags: store closed")
	// ErrUnavailable is returned when a store's backend cannot be reached
	// and it knows no value to fall back on.
	ErrUnavailable = errors.New("flags: backend unavailable")
)

// The flags AutonomOS components read. Each one's doc names its reader.
const (
	// UseAAMAsSource (USE_AAM_AS_SOURCE) makes the DCL read the mesh's
	// canonical event feed instead of reading the sources itself. Read by
	// hostd's DCL area when it materializes a tenant. The default comes
	// from the USE_AAM_AS_SOURCE setting.
	UseAAMAsSource = "USE_AAM_AS_SOURCE"
	// DCLAutoRun (DCL_AUTO_RUN) rebuilds a tenant's unified views and
	// graph after each sync and each approved mapping change. Read by
	// hostd's DCL area. Defaults to on.
	DCLAutoRun = "DCL_AUTO_RUN"
)

// Flag is one known flag.
type Flag struct {
	// Name is 1 to 64 of A-Z, 0-9 and '_', starting with a letter.
	Name        string `json:"name"`
	Description string `json:"description"`
	// Default is the value of a tenant that did not set the flag.
	Default bool `json:"default"`
}

// Standard returns the flags AutonomOS components read, with their
// built-in defaults; a server overrides the defaults from its settings
// before it builds its [Catalog].
func Standard() []Flag {
	return []Flag{
		{Name: UseAAMAsSource, Default: false, Description: "The DCL reads the AAM mesh's canonical event feed instead of reading the sources directly."},
		{Name: DCLAutoRun, Default: true, Description: "Rebuild the unified views and the graph after each sync and each approved mapping change."},
	}
}

// Catalog is the set of known flags. Stores refuse every other name, so a
// typo is an error and not a flag that is silently off. A Catalog is
// immutable and safe for concurrent use.
type Catalog struct {
	flags  []Flag
	byName map[string]int
}

// NewCatalog returns the catalog of flags, or an error wrapping
// [ErrInvalidFlag] naming the bad or repeated entry.
func NewCatalog(flags ...Flag) (*Catalog, error) {
	c := &Catalog{flags: slices.Clone(flags), byName: map[string]int{}}
	for i, f := range flags {
		if err := CheckName(f.Name); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrInvalidFlag, i, err)
		}
		if _, dup := c.byName[f.Name]; dup {
			return nil, fmt.Errorf("%w: entry %d: %s is listed twice", ErrInvalidFlag, i, f.Name)
		}
		c.byName[f.Name] = i
	}
	return c, nil
}

// CheckName reports why name cannot be a flag name, or nil.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("flag name must be 1 to 64 bytes, got %d", len(name))
	}
	for i, r := range name {
		if !(r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '_')) {
			return fmt.Errorf("flag name %q: byte %d is not A-Z, 0-9 or '_' (letter first)", truncate(name), i)
		}
	}
	return nil
}

// Lookup returns the flag called name, or an error wrapping
// [ErrUnknownFlag] that lists the known ones.
func (c *Catalog) Lookup(name string) (Flag, error) {
	i, ok := c.byName[name]
	if !ok {
		names := make([]string, len(c.flags))
		for i, f := range c.flags {
			names[i] = f.Name
		}
		return Flag{}, fmt.Errorf("%w: %q (known: %s)", ErrUnknownFlag, truncate(name), strings.Join(names, ", "))
	}
	return c.flags[i], nil
}

// Flags returns the known flags in catalog order.
func (c *Catalog) Flags() []Flag { return slices.Clone(c.flags) }

// State is a flag's value for one tenant.
type State struct {
	Flag
	On bool `json:"on"`
	// Set reports whether the tenant chose the value; otherwise it is
	// the default.
	Set bool `json:"set"`
}

// States resolves a tenant's settings (name -> value; names the catalog
// does not know are ignored) into the state of every known flag.
func (c *Catalog) States(settings map[string]bool) []State {
	out := make([]State, len(c.flags))
	for i, f := range c.flags {
		v, set := settings[f.Name]
		if !set {
			v = f.Default
		}
		out[i] = State{Flag: f, On: v, Set: set}
	}
	return out
}

// Store keeps each tenant's flag settings. Implementations are safe for
// concurrent use.
type Store interface {
	// Enabled reports whether flag name is on for tenant: its setting,
	// or the flag's default. An unknown name is [ErrUnknownFlag].
	Enabled(ctx context.Context, tenant tenancy.ID, name string) (bool, error)
	// Set sets flag name for tenant.
	Set(ctx context.Context, tenant tenancy.ID, name string, on bool) error
	// List returns every known flag's state for tenant, in catalog order.
	List(ctx context.Context, tenant tenancy.ID) ([]State, error)
	// Catalog returns the store's catalog.
	Catalog() *Catalog
	// Close releases the store; later calls return [ErrClosed].
	Close() error
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
