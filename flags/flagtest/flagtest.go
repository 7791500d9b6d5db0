// Package flagtest is the conformance suite of [flags.Store] drivers.
// Every driver's tests run it, so the in-memory and the Redis driver are
// proven to behave the same; a driver of your own can prove it too:
//
//	func TestConformance(t *testing.T) {
//		flagtest.Run(t, func(t *testing.T, cat *flags.Catalog) flags.Store {
//			return mystore.New(cat)
//		})
//	}
//
// Each test uses fresh random tenants, so stores may share one backend.
package flagtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/tenancy"
)

// Maker returns a store over cat for one test; the suite closes it.
type Maker func(t *testing.T, cat *flags.Catalog) flags.Store

// Catalog is the suite's catalog: one flag off and one on by default.
func Catalog() *flags.Catalog {
	cat, err := flags.NewCatalog(
		flags.Flag{Name: "OFF_BY_DEFAULT", Description: "a flag that is off unless set"},
		flags.Flag{Name: "ON_BY_DEFAULT", Default: true, Description: "a flag that is on unless set"},
	)
	if err != nil {
		panic(err)
	}
	return cat
}

// Run runs the suite.
func Run(t *testing.T, newStore Maker) {
	tests := []struct {
		name string
		f    func(*testing.T, flags.Store)
	}{
		{"Defaults", testDefaults},
		{"SetAndRead", testSetAndRead},
		{"UnknownNames", testUnknown},
		{"TenantsApart", testTenantsApart},
		{"Concurrent", testConcurrent},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, Catalog())
			t.Cleanup(func() { _ = s.Close() })
			tc.f(t, s)
		})
	}
}

func enabled(t *testing.T, s flags.Store, tenant tenancy.ID, name string) bool {
	t.Helper()
	on, err := s.Enabled(context.Background(), tenant, name)
	if err != nil {
		t.Fatalf("Enabled(%s): %v", name, err)
	}
	return on
}

func set(t *testing.T, s flags.Store, tenant tenancy.ID, name string, on bool) {
	t.Helper()
	if err := s.Set(context.Background(), tenant, name, on); err != nil {
		t.Fatalf("Set(%s, %v): %v", name, on, err)
	}
}

func states(t *testing.T, s flags.Store, tenant tenancy.ID) map[string]flags.State {
	t.Helper()
	list, err := s.List(context.Background(), tenant)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := s.Catalog().Flags()
	if len(list) != len(want) {
		t.Fatalf("List has %d flags, the catalog %d", len(list), len(want))
	}
	m := map[string]flags.State{}
	for i, st := range list {
		if st.Name != want[i].Name || st.Description != want[i].Description || st.Default != want[i].Default {
			t.Fatalf("List entry %d = %+v, want catalog entry %+v", i, st, want[i])
		}
		m[st.Name] = st
	}
	return m
}

func testDefaults(t *testing.T, s flags.Store) {
	tenant := tenancy.New()
	if enabled(t, s, tenant, "OFF_BY_DEFAULT") || !enabled(t, s, tenant, "ON_BY_DEFAULT") {
		t.Fatal("a tenant that set nothing does not get the defaults")
	}
	for name, st := range states(t, s, tenant) {
		if st.Set || st.On != st.Default {
			t.Fatalf("%s of a fresh tenant: %+v", name, st)
		}
	}
}

func testSetAndRead(t *testing.T, s flags.Store) {
	tenant := tenancy.New()
	set(t, s, tenant, "OFF_BY_DEFAULT", true)
	set(t, s, tenant, "ON_BY_DEFAULT", false)
	if !enabled(t, s, tenant, "OFF_BY_DEFAULT") || enabled(t, s, tenant, "ON_BY_DEFAULT") {
		t.Fatal("Enabled does not return what was set")
	}
	st := states(t, s, tenant)
	if !st["OFF_BY_DEFAULT"].On || !st["OFF_BY_DEFAULT"].Set || st["ON_BY_DEFAULT"].On || !st["ON_BY_DEFAULT"].Set {
		t.Fatalf("List after Set: %+v", st)
	}
	// Setting the default value explicitly is still a setting.
	set(t, s, tenant, "OFF_BY_DEFAULT", false)
	if enabled(t, s, tenant, "OFF_BY_DEFAULT") || !states(t, s, tenant)["OFF_BY_DEFAULT"].Set {
		t.Fatal("setting a flag back off")
	}
	set(t, s, tenant, "OFF_BY_DEFAULT", true)
	if !enabled(t, s, tenant, "OFF_BY_DEFAULT") {
		t.Fatal("setting a flag on again")
	}
}

func testUnknown(t *testing.T, s flags.Store) {
	tenant := tenancy.New()
	for _, name := range []string{"NOT_A_FLAG", "off_by_default", "", "OFF_BY_DEFAULT "} {
		if _, err := s.Enabled(context.Background(), tenant, name); !errors.Is(err, flags.ErrUnknownFlag) {
			t.Errorf("Enabled(%q): %v, want ErrUnknownFlag", name, err)
		}
		if err := s.Set(context.Background(), tenant, name, true); !errors.Is(err, flags.ErrUnknownFlag) {
			t.Errorf("Set(%q): %v, want ErrUnknownFlag", name, err)
		}
	}
	if _, err := s.Enabled(context.Background(), tenancy.Nil, "OFF_BY_DEFAULT"); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Enabled for the nil tenant: %v", err)
	}
	if err := s.Set(context.Background(), tenancy.Nil, "OFF_BY_DEFAULT", true); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Set for the nil tenant: %v", err)
	}
	if _, err := s.List(context.Background(), tenancy.Nil); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("List for the nil tenant: %v", err)
	}
}

func testTenantsApart(t *testing.T, s flags.Store) {
	a, b := tenancy.New(), tenancy.New()
	set(t, s, a, "OFF_BY_DEFAULT", true)
	if enabled(t, s, b, "OFF_BY_DEFAULT") || states(t, s, b)["OFF_BY_DEFAULT"].Set {
		t.Fatal("tenant B sees tenant A's setting")
	}
	set(t, s, b, "ON_BY_DEFAULT", false)
	if !enabled(t, s, a, "ON_BY_DEFAULT") {
		t.Fatal("tenant A sees tenant B's setting")
	}
}

func testConcurrent(t *testing.T, s flags.Store) {
	tenants := []tenancy.ID{tenancy.New(), tenancy.New(), tenancy.New(), tenancy.New()}
	var wg sync.WaitGroup
	for i, tenant := range tenants {
		wg.Go(func() {
			for j := range 20 {
				on := (i+j)%2 == 0
				if err := s.Set(context.Background(), tenant, "OFF_BY_DEFAULT", on); err != nil {
					t.Errorf("Set: %v", err)
					return
				}
				if _, err := s.Enabled(context.Background(), tenant, "OFF_BY_DEFAULT"); err != nil {
					t.Errorf("Enabled: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, tenant := range tenants {
		// The last write of tenant i was j=19.
		if got, want := enabled(t, s, tenant, "OFF_BY_DEFAULT"), (i+19)%2 == 0; got != want {
			t.Errorf("tenant %d: %v, want its last write %v", i, got, want)
		}
	}
}

func testClose(t *testing.T, s flags.Store) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	tenant := tenancy.New()
	if _, err := s.Enabled(context.Background(), tenant, "OFF_BY_DEFAULT"); !errors.Is(err, flags.ErrClosed) {
		t.Errorf("Enabled after Close: %v", err)
	}
	if err := s.Set(context.Background(), tenant, "OFF_BY_DEFAULT", true); !errors.Is(err, flags.ErrClosed) {
		t.Errorf("Set after Close: %v", err)
	}
	if _, err := s.List(context.Background(), tenant); !errors.Is(err, flags.ErrClosed) {
		t.Errorf("List after Close: %v", err)
	}
}
