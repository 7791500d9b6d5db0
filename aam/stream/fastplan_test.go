package stream

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// wider is a struct of the kinds canonical.Event may grow: the plan must
// encode it as encoding/json does, so that a field added to the event is
// never written differently.
type wider struct {
	A      string               `json:"a"`
	B      int                  `json:"b,omitempty"`
	C      []canonical.Problem  `json:"c"`
	D      map[string]any       `json:"d,omitempty"`
	T      time.Time            `json:"t,omitzero"`
	X      any                  `json:"x"`
	N      float64              // no tag: the Go name
	skip   string               // unexported: ignored
	Dash   string               `json:"-"`
	U      uint16               `json:"u"`
	Dec    canonical.Decimal    `json:"dec"`
	Ptr    *int                 `json:"ptr"`
	Tenant tenancy.ID           `json:"tenant"`
	Src    canonical.Source     `json:"src"`
	Op     canonical.Op         `json:"op,omitempty"`
	Bools  []bool               `json:"bools"`
	Nested map[string]time.Time `json:"nested"`
	Ok     bool                 `json:"ok"`
	Neg    int8                 `json:"neg"`
}

func TestPlanEncodesLikeEncodingJSON(t *testing.T) {
	p := buildPlan(reflect.TypeFor[wider](), 0)
	if p == nil {
		t.Fatal("no plan for a struct of plain fields")
	}
	seven := 7
	for name, w := range map[string]wider{
		"zero": {},
		"full": {
			A: "a<b>", B: 3, C: []canonical.Problem{{Field: "f", Raw: "r", Reason: "x"}}, D: map[string]any{"k": 1.5},
			T: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), X: []any{"y", nil}, N: 1e-7, skip: "s", Dash: "d", U: 9,
			Dec: canonical.Decimal{Decimal: decimal.RequireFromString("1.10")}, Ptr: &seven, Tenant: tenancy.New(),
			Src: canonical.Source{System: "s"}, Op: canonical.OpUpsert, Bools: []bool{true}, Nested: map[string]time.Time{"n": {}},
			Ok: true, Neg: -3,
		},
		"empty slices": {C: []canonical.Problem{}, D: map[string]any{}, Bools: []bool{}},
	} {
		want, err := json.Marshal(&w)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.append(nil, reflect.ValueOf(&w).Elem())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		// And back: where the decoder takes it, it agrees.
		var back, ref wider
		d := &decoder{b: got}
		if d.structInto(p, reflect.ValueOf(&back).Elem(), 0, false) && d.i == len(got) {
			dec := json.NewDecoder(bytes.NewReader(got))
			dec.UseNumber()
			if err := dec.Decode(&ref); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, ref) {
				t.Errorf("%s: decoded\n got %+v\nwant %+v", name, back, ref)
			}
		}
	}
}

func TestPlanRefusesWhatItCannotPromise(t *testing.T) {
	type embedded struct{ canonical.Source }
	type stringOpt struct {
		N int `json:"n,string"`
	}
	type marshals struct{ canonical.Decimal }
	for name, typ := range map[string]reflect.Type{
		"embedded":     reflect.TypeFor[embedded](),
		"string":       reflect.TypeFor[stringOpt](),
		"marshals":     reflect.TypeFor[marshals](),
		"not a struct": reflect.TypeFor[int](),
	} {
		if buildPlan(typ, 0) != nil {
			t.Errorf("%s: got a plan, want none", name)
		}
	}
}
