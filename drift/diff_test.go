package drift

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func sch(fields ...Field) *Schema { return &Schema{System: "test", Object: "obj", Fields: fields} }

func fld(name string, t FieldType) Field { return Field{Name: name, Type: t} }

func TestTypeChangeSeverity(t *testing.T) {
	t.Parallel()
	types := []FieldType{TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeTimestamp, TypeDate, TypeObject, TypeArray}
	nonBreaking := map[[2]FieldType]bool{
		{TypeInteger, TypeNumber}: true,
		{TypeDate, TypeTimestamp}: true,
	}
	for _, o := range types {
		for _, n := range types {
			got := TypeChangeSeverity(o, n)
			want := SeverityBreaking
			switch {
			case o == n:
				want = SeverityNone
			case nonBreaking[[2]FieldType{o, n}]:
				want = SeverityNonBreaking
			}
			if got != want {
				t.Errorf("TypeChangeSeverity(%s, %s) = %s, want %s", o, n, got, want)
			}
		}
	}
	if TypeChangeSeverity("decimal", "decimal") != SeverityNone || TypeChangeSeverity("decimal", TypeNumber) != SeverityBreaking {
		t.Errorf("unknown types: only equality is safe")
	}
}

func TestDiffRules(t *testing.T) {
	t.Parallel()
	nullable := func(f Field) Field { f.Nullable = true; return f }
	tests := []struct {
		name     string
		old, new *Schema
		kinds    []ChangeKind
		severity Severity
	}{
		{"identical", sch(fld("a", TypeString)), sch(fld("a", TypeString)), nil, SeverityNone},
		{"reordered", sch(fld("a", TypeString), fld("b", TypeInteger)), sch(fld("b", TypeInteger), fld("a", TypeString)), nil, SeverityNone},
		{"added", sch(fld("a", TypeString)), sch(fld("a", TypeString), fld("b", TypeDate)), []ChangeKind{ChangeFieldAdded}, SeverityNonBreaking},
		{"removed", sch(fld("a", TypeString), fld("b", TypeDate)), sch(fld("a", TypeString)), []ChangeKind{ChangeFieldRemoved}, SeverityBreaking},
		{"integer to number", sch(fld("a", TypeInteger)), sch(fld("a", TypeNumber)), []ChangeKind{ChangeTypeChanged}, SeverityNonBreaking},
		{"date to timestamp", sch(fld("a", TypeDate)), sch(fld("a", TypeTimestamp)), []ChangeKind{ChangeTypeChanged}, SeverityNonBreaking},
		{"number to integer", sch(fld("a", TypeNumber)), sch(fld("a", TypeInteger)), []ChangeKind{ChangeTypeChanged}, SeverityBreaking},
		{"string to number", sch(fld("a", TypeString)), sch(fld("a", TypeNumber)), []ChangeKind{ChangeTypeChanged}, SeverityBreaking},
		{"number to string", sch(fld("a", TypeNumber)), sch(fld("a", TypeString)), []ChangeKind{ChangeTypeChanged}, SeverityBreaking},
		{"timestamp to date", sch(fld("a", TypeTimestamp)), sch(fld("a", TypeDate)), []ChangeKind{ChangeTypeChanged}, SeverityBreaking},
		{"became nullable", sch(fld("a", TypeString)), sch(nullable(fld("a", TypeString))), []ChangeKind{ChangeNullability}, SeverityNonBreaking},
		{"became required", sch(nullable(fld("a", TypeString))), sch(fld("a", TypeString)), []ChangeKind{ChangeNullability}, SeverityInfo},
		{"type and nullability", sch(fld("a", TypeInteger)), sch(nullable(fld("a", TypeNumber))), []ChangeKind{ChangeTypeChanged, ChangeNullability}, SeverityNonBreaking},
		{"first sighting", nil, sch(fld("a", TypeString)), []ChangeKind{ChangeFieldAdded}, SeverityNonBreaking},
		{"samples ignored", sch(Field{Name: "a", Type: TypeString, Samples: []string{"x"}}), sch(Field{Name: "a", Type: TypeString, Samples: []string{"y"}}), nil, SeverityNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Diff(tt.old, tt.new)
			var kinds []ChangeKind
			for _, c := range d.Changes {
				kinds = append(kinds, c.Kind)
			}
			if fmt.Sprint(kinds) != fmt.Sprint(tt.kinds) {
				t.Errorf("kinds = %v, want %v", kinds, tt.kinds)
			}
			if d.Severity != tt.severity {
				t.Errorf("severity = %s, want %s", d.Severity, tt.severity)
			}
			if d.Empty() != (len(tt.kinds) == 0) {
				t.Errorf("Empty() = %v", d.Empty())
			}
			if (d.Err() != nil) != (tt.severity == SeverityBreaking) {
				t.Errorf("Err() = %v with severity %s", d.Err(), tt.severity)
			}
		})
	}
}

func TestDiffPrimaryKeyAndError(t *testing.T) {
	t.Parallel()
	old := sch(fld("id", TypeString), fld("n", TypeNumber))
	old.PrimaryKey = []string{"id"}
	new := sch(fld("id", TypeString), fld("n", TypeString))
	new.PrimaryKey = []string{"n"}
	d := Diff(old, new)
	if !d.Breaking() || len(d.Changes) != 2 || d.Changes[1].Kind != ChangePrimaryKey {
		t.Fatalf("diff = %+v", d.Changes)
	}
	var bce *BreakingChangeError
	if !errors.As(d.Err(), &bce) {
		t.Fatalf("Err() = %v, want a *BreakingChangeError", d.Err())
	}
	if bce.Object != "obj" || bce.Field != "n" || bce.Old != TypeNumber || bce.New != TypeString {
		t.Errorf("error = %+v", bce)
	}
	if got := bce.Error(); got != `drift: breaking change in obj: field "n" changed from number to string` {
		t.Errorf("Error() = %q", got)
	}
}

func TestDiffHandsRenamesToRepair(t *testing.T) {
	t.Parallel()
	old := sch(Field{Name: "AccountName", Type: TypeString, Samples: []string{"Acme"}})
	new := sch(Field{Name: "Account_Name__c", Type: TypeString, Samples: []string{"Acme"}})
	d := Diff(old, new)
	if len(d.Removed) != 1 || d.Removed[0].Name != "AccountName" || d.Removed[0].Samples[0] != "Acme" {
		t.Errorf("Removed = %+v", d.Removed)
	}
	if len(d.Added) != 1 || d.Added[0].Name != "Account_Name__c" {
		t.Errorf("Added = %+v", d.Added)
	}
	if TypeFingerprint(old) != TypeFingerprint(new) || Fingerprint(old) == Fingerprint(new) {
		t.Errorf("a rename must keep the type fingerprint and change the field fingerprint")
	}
}

func TestDiffGolden(t *testing.T) {
	t.Parallel()
	old, new := readSchema(t, "testdata/diff/opportunity.old.json"), readSchema(t, "testdata/diff/opportunity.new.json")
	d := Diff(old, new)
	got, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "diff", "opportunity.diff.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("diff differs from %s (run with -update if intended):\n%s", golden, got)
	}
}

func readSchema(t testing.TB, path string) *Schema {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s Schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &s
}

func TestFingerprintStable(t *testing.T) {
	t.Parallel()
	s := bigSchema(50)
	fp, tfp := Fingerprint(s), TypeFingerprint(s)
	if len(fp) != 35 || fp[:3] != "v1:" {
		t.Fatalf("Fingerprint = %q", fp)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		c := s.Clone()
		r.Shuffle(len(c.Fields), func(i, j int) { c.Fields[i], c.Fields[j] = c.Fields[j], c.Fields[i] })
		c.Fields[0].Samples = []string{"changed"}
		c.Fields[1].Nullable = !c.Fields[1].Nullable
		c.Object, c.System = "other", "other"
		if Fingerprint(c) != fp || TypeFingerprint(c) != tfp {
			t.Fatalf("fingerprint changed under reordering/samples/nullability")
		}
	}
	c := s.Clone()
	c.Fields[3].Type = TypeString
	if Fingerprint(c) == fp {
		t.Errorf("type change kept the fingerprint")
	}
	c = s.Clone()
	c.Fields[3].Name += "x"
	if Fingerprint(c) == fp || TypeFingerprint(c) != tfp {
		t.Errorf("rename: fingerprint must change, type fingerprint must not")
	}
	// Length prefixes: moving a byte between name and type changes the hash.
	a := sch(Field{Name: "ab", Type: "c"})
	b := sch(Field{Name: "a", Type: "bc"})
	if Fingerprint(a) == Fingerprint(b) {
		t.Errorf("ambiguous canonical form")
	}
}

// The documented canonical form must be what is hashed.
func TestFingerprintCanonicalForm(t *testing.T) {
	t.Parallel()
	s := sch(fld("b", TypeInteger), fld("a", TypeString))
	// "drift.fields.v1\n" then uvarint-length-prefixed name and type,
	// sorted by name.
	form := "drift.fields.v1\n\x01a\x06string\x01b\x07integer"
	if got, want := Fingerprint(s), encodeSum(sha256Sum(form)); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
	tform := "drift.types.v1\n\x07integer\x01\x06string\x01"
	if got, want := TypeFingerprint(s), encodeSum(sha256Sum(tform)); got != want {
		t.Errorf("TypeFingerprint = %s, want %s", got, want)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    *Schema
		want string
	}{
		{nil, `drift: invalid schema "": nil schema`},
		{&Schema{}, `drift: invalid schema "": no object name`},
		{sch(fld("", TypeString)), `drift: invalid schema "obj": field #0: empty name`},
		{sch(fld("a", TypeString), fld("a", TypeString)), `drift: invalid schema "obj": field "a": duplicate name`},
		{sch(fld("a", "decimal")), `drift: invalid schema "obj": field "a": unknown type "decimal"`},
		{&Schema{Object: "o", PrimaryKey: []string{"id"}}, `drift: invalid schema "o": field "id": primary key names no field`},
	}
	for _, tt := range tests {
		err := tt.s.Validate()
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("Validate() = %v, want %s", err, tt.want)
		}
	}
	if err := sch(fld("a", TypeString)).Validate(); err != nil {
		t.Errorf("valid schema: %v", err)
	}
}

func bigSchema(n int) *Schema {
	types := []FieldType{TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeTimestamp, TypeDate}
	s := &Schema{System: "salesforce", Object: "Opportunity"}
	for i := range n {
		s.Fields = append(s.Fields, Field{Name: fmt.Sprintf("Field_%02d__c", i), Type: types[i%len(types)], Samples: []string{"a", "b"}})
	}
	return s
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }
