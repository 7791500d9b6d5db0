package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	validate "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/shopspring/decimal"
)

func TestSchemaShape(t *testing.T) {
	t.Parallel()
	for _, e := range V1().Entities() {
		b, err := Schema(e.Name)
		if err != nil {
			t.Fatalf("Schema(%s): %v", e.Name, err)
		}
		var s struct {
			ID         string `json:"$id"`
			Properties struct {
				Entity struct {
					Const string `json:"const"`
				} `json:"entity"`
				Data struct {
					Properties           map[string]map[string]any `json:"properties"`
					AdditionalProperties *bool                     `json:"additionalProperties"`
				} `json:"data"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if s.ID != SchemaID+e.Name+".json" || s.Properties.Entity.Const != e.Name {
			t.Errorf("%s: $id %q const %q", e.Name, s.ID, s.Properties.Entity.Const)
		}
		if len(s.Properties.Data.Properties) != len(e.Fields) {
			t.Errorf("%s: %d data properties, want %d", e.Name, len(s.Properties.Data.Properties), len(e.Fields))
		}
		if ap := s.Properties.Data.AdditionalProperties; ap == nil || *ap {
			t.Errorf("%s: data admits unknown fields", e.Name)
		}
		for _, f := range e.Fields {
			p := s.Properties.Data.Properties[f.Name]
			if p["x-canonical-type"] != string(f.Type) {
				t.Errorf("%s.%s: x-canonical-type %v", e.Name, f.Name, p["x-canonical-type"])
			}
			types, _ := p["type"].([]any)
			if len(types) != 2 || types[1] != "null" {
				t.Errorf("%s.%s: type %v is not nullable", e.Name, f.Name, p["type"])
			}
			switch f.Type {
			case TypeDecimal, TypePercent, TypeDate, TypeTimestamp, TypeCurrency, TypeCountry, TypePhone, TypeEmail, TypeDomain:
				if p["pattern"] == nil {
					t.Errorf("%s.%s: no pattern", e.Name, f.Name)
				}
			}
		}
		for _, r := range []string{"id", "tenant_id", "source", "entity", "op", "source_key", "data", "ingested_at"} {
			if !strings.Contains(strings.Join(s.Required, ","), r) {
				t.Errorf("%s: %s not required", e.Name, r)
			}
		}
	}
	if _, err := Schema("spaceship"); !errors.Is(err, ErrUnknownEntity) {
		t.Errorf("unknown entity: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, nil)
	for name, tc := range map[string]struct {
		change func(ev *Event)
		field  string
	}{
		"decimal as float":    {func(ev *Event) { ev.Data["amount"] = 12.5 }, "data.amount"},
		"bad currency":        {func(ev *Event) { ev.Data["currency"] = "usd" }, "data.currency"},
		"bad date":            {func(ev *Event) { ev.Data["close_date"] = "03/04/2025" }, "data.close_date"},
		"timestamp not utc":   {func(ev *Event) { ev.Data["updated_at"] = "2025-03-04T10:15:00+05:30" }, "data.updated_at"},
		"unknown field":       {func(ev *Event) { ev.Data["colour"] = "red" }, "data"},
		"bool as string":      {func(ev *Event) { ev.Data["is_won"] = "yes" }, "data.is_won"},
		"empty key":           {func(ev *Event) { ev.SourceKey = "" }, "source_key"},
		"bad op":              {func(ev *Event) { ev.Op = "merge" }, "op"},
		"bad id":              {func(ev *Event) { ev.ID = "x" }, "id"},
		"no connection":       {func(ev *Event) { ev.Source.ConnectionID = "" }, "source.connection_id"},
		"decimal with spaces": {func(ev *Event) { ev.Data["amount"] = "1 234" }, "data.amount"},
		"percent as decimal text with e": {func(ev *Event) {
			ev.Data["probability"] = "1e2"
		}, "data.probability"},
	} {
		ev := normalizeOne(t, n, opportunityRecord())
		tc.change(ev)
		err := Validate(ev)
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: Validate = %v, want *ValidationError", name, err)
			continue
		}
		found := false
		for _, v := range ve.Violations {
			if v.Field == tc.field {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: violations %+v do not name %s", name, ve.Violations, tc.field)
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: message %q does not name %s", name, err, tc.field)
		}
	}
	ev := normalizeOne(t, n, opportunityRecord())
	ev.Entity = "spaceship"
	if err := Validate(ev); !errors.Is(err, ErrUnknownEntity) {
		t.Errorf("unknown entity: %v", err)
	}
	if err := Validate(nil); err == nil {
		t.Error("nil event accepted")
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	t.Parallel()
	n := newOppNormalizer(t, &Config{SchemaFingerprint: "fp"})
	rec := opportunityRecord()
	rec["Amount"] = "1234.50"
	rec["Probability"] = "0.355"
	rec["StageName"] = nil
	rec["CloseDate"] = "soon" // a problem rides along
	ev := normalizeOne(t, n, rec)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"amount":"1234.50"`)) || !bytes.Contains(b, []byte(`"probability":"35.5"`)) {
		t.Errorf("decimals lost their scale: %s", b)
	}
	back, err := DecodeEvent(b, V1())
	if err != nil {
		t.Fatal(err)
	}
	d, ok := back.Data["amount"].(Decimal)
	if !ok || d.Exponent() != -2 || !d.Equal(decimal.RequireFromString("1234.5")) {
		t.Errorf("amount came back as %#v", back.Data["amount"])
	}
	b2, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed the JSON:\n%s\n%s", b, b2)
	}
	if err := Validate(back); err != nil {
		t.Errorf("decoded event invalid: %v", err)
	}
	if back.ID != ev.ID || !back.IngestedAt.Equal(ev.IngestedAt) || len(back.Problems) != 1 {
		t.Errorf("envelope changed: %+v", back)
	}

	// Integers come back as int64, also without Retype.
	acct := &Event{Tenant: testTenant, Entity: "account", Data: map[string]any{"employee_count": int64(9007199254740993)}}
	b, _ = json.Marshal(acct)
	var plain Event
	if err := json.Unmarshal(b, &plain); err != nil || plain.Data["employee_count"] != int64(9007199254740993) {
		t.Errorf("int64 lost: %v %#v", err, plain.Data["employee_count"])
	}
	for name, bad := range map[string]string{
		"decimal":  `{"entity":"opportunity","data":{"amount":"lots"}}`,
		"decimal2": `{"entity":"opportunity","data":{"amount":12.5}}`,
		"integer":  `{"entity":"account","data":{"employee_count":"many"}}`,
		"fraction": `{"entity":"account","data":{"employee_count":1.5}}`,
		"boolean":  `{"entity":"opportunity","data":{"is_won":"yes"}}`,
		"string":   `{"entity":"opportunity","data":{"name":5}}`,
		"field":    `{"entity":"opportunity","data":{"colour":"red"}}`,
		"entity":   `{"entity":"spaceship","data":{}}`,
		"json":     `{"entity":`,
	} {
		if _, err := DecodeEvent([]byte(bad), V1()); err == nil {
			t.Errorf("%s: DecodeEvent accepted %s", name, bad)
		}
	}
}

func TestRegisterExtendsNormalizerAndSchema(t *testing.T) {
	t.Parallel()
	o := V1()
	if err := o.Register(Entity{Name: "subscription", Description: "a recurring contract", Fields: []Field{
		{Name: "id", Type: TypeString},
		{Name: "mrr", Type: TypeDecimal, Description: "monthly recurring revenue"},
		{Name: "renews_on", Type: TypeDate},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := o.Register(Entity{Name: "opportunity", Fields: []Field{{Name: "forecast_category", Type: TypeString}}}); err != nil {
		t.Fatal(err)
	}
	if f, err := o.Lookup("subscription.mrr"); err != nil || f.Type != TypeDecimal || f.Entity != "subscription" {
		t.Fatalf("Lookup: %+v %v", f, err)
	}
	if _, err := V1().Lookup("subscription.mrr"); !errors.Is(err, ErrUnknownTarget) {
		t.Error("V1() is shared: a registration leaked")
	}
	for name, e := range map[string]Entity{
		"redefine type": {Name: "opportunity", Fields: []Field{{Name: "amount", Type: TypeString}}},
		"bad name":      {Name: "Sub-Scription", Fields: []Field{{Name: "id", Type: TypeString}}},
		"no id":         {Name: "thing", Fields: []Field{{Name: "x", Type: TypeString}}},
		"bad type":      {Name: "thing", Fields: []Field{{Name: "id", Type: "uuid"}}},
		"twice":         {Name: "thing", Fields: []Field{{Name: "id", Type: TypeString}, {Name: "id", Type: TypeString}}},
		"bad field":     {Name: "thing", Fields: []Field{{Name: "id", Type: TypeString}, {Name: "9x", Type: TypeString}}},
	} {
		if err := o.Register(e); !errors.Is(err, ErrInvalidOntology) {
			t.Errorf("%s: Register = %v", name, err)
		}
	}

	v := NewValidator(o)
	m := &Mapping{Fields: []FieldMapping{
		{Source: "sub_id", Target: "subscription.id"}, {Source: "mrr", Target: "subscription.mrr"}, {Source: "renewal", Target: "subscription.renews_on"},
	}}
	n, err := NewNormalizer(testTenant, Source{System: "stripe", ConnectionID: "s", Object: "subscriptions"}, m, &Config{Ontology: o, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	ev := normalizeOne(t, n, map[string]any{"sub_id": "sub_1", "mrr": "€49,90", "renewal": "20260101"})
	if decString(ev.Data["mrr"].(Decimal)) != "49.90" || ev.Data["renews_on"] != "2026-01-01" {
		t.Errorf("data = %v", ev.Data)
	}
	if err := v.Validate(ev); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := Validate(ev); !errors.Is(err, ErrUnknownEntity) {
		t.Errorf("the v1 validator knows subscription: %v", err)
	}
	// A field registered after the schema was compiled is picked up.
	ev.Data["seats"] = int64(3)
	if err := v.Validate(ev); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("unknown field accepted: %v", err)
	}
	if err := o.Register(Entity{Name: "subscription", Fields: []Field{{Name: "seats", Type: TypeInteger}}}); err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(ev); err != nil {
		t.Errorf("after Register: %v", err)
	}
	b, err := o.Schema("subscription")
	if err != nil || !bytes.Contains(b, []byte(`"seats"`)) || !bytes.Contains(b, []byte("monthly recurring revenue")) {
		t.Errorf("schema: %v %s", err, b)
	}
}

func TestOntologyLookups(t *testing.T) {
	t.Parallel()
	o := V1()
	if got := len(o.Entities()); got != 6 {
		t.Errorf("%d entities", got)
	}
	if got := len(o.Fields()); got != 13+11+12+13+9+10 {
		t.Errorf("%d fields", got)
	}
	for _, bad := range []string{"opportunity", "opportunity.colour", "deal.amount", ""} {
		if _, err := o.Lookup(bad); !errors.Is(err, ErrUnknownTarget) {
			t.Errorf("Lookup(%q) = %v", bad, err)
		}
	}
	names := o.EntityNames()
	if names[0] != "account" || names[len(names)-1] != "opportunity" {
		t.Errorf("EntityNames = %v", names)
	}
	for _, f := range o.Fields() {
		if !f.Type.Valid() || f.Description == "" {
			t.Errorf("field %s: type %q description %q", f.Target(), f.Type, f.Description)
		}
	}
}

// TestSchemaValidatesMarshalledEvents checks the published schema the way
// another service uses it: compiled on its own, against the JSON bytes of
// events.
func TestSchemaValidatesMarshalledEvents(t *testing.T) {
	t.Parallel()
	raw, err := Schema("opportunity")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := validate.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := validate.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("opportunity.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("opportunity.json")
	if err != nil {
		t.Fatal(err)
	}
	n := newOppNormalizer(t, nil)
	recs := []map[string]any{opportunityRecord(), {"Id": "only-key"}}
	bad := opportunityRecord()
	bad["Amount"], bad["CloseDate"] = "lots", "soon"
	recs = append(recs, bad)
	for _, rec := range recs {
		ev := normalizeOne(t, n, rec)
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := validate.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(inst); err != nil {
			t.Errorf("marshalled event %s fails the published schema: %v", b, err)
		}
	}
	ev := normalizeOne(t, n, opportunityRecord())
	b, _ := json.Marshal(ev)
	b = bytes.Replace(b, []byte(`"amount":"1234.50"`), []byte(`"amount":1234.5`), 1)
	inst, _ := validate.UnmarshalJSON(bytes.NewReader(b))
	if err := s.Validate(inst); err == nil {
		t.Error("a float amount passed the published schema")
	}
}
