package pgtenant

import (
	"errors"
	"strings"
	"testing"
)

func TestVerdict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		facts roleFacts
		want  []string // substrings of the error; nil for no error
	}{
		{roleFacts{role: "app"}, nil},
		{roleFacts{role: "postgres", superuser: true}, []string{`"postgres"`, "superuser"}},
		{roleFacts{role: "etl", bypassRLS: true}, []string{"BYPASSRLS"}},
		{roleFacts{role: "owner", owned: []string{"public.a", "public.b"}}, []string{"public.a, public.b"}},
		{roleFacts{role: "x", owned: []string{"s.t1", "s.t2", "s.t3", "s.t4", "s.t5", "s.t6", "s.t7"}}, []string{"s.t5 and 2 more"}},
		{roleFacts{role: "all", superuser: true, bypassRLS: true, owned: []string{"s.t"}}, []string{"superuser, has BYPASSRLS, owns"}},
	} {
		err := tc.facts.verdict()
		if tc.want == nil {
			if err != nil {
				t.Errorf("%+v: %v, want nil", tc.facts, err)
			}
			continue
		}
		var unsafe *UnsafeRoleError
		if !errors.As(err, &unsafe) || !errors.Is(err, ErrUnsafeRole) {
			t.Errorf("%+v: %v, want *UnsafeRoleError", tc.facts, err)
			continue
		}
		if unsafe.Role != tc.facts.role || unsafe.Superuser != tc.facts.superuser || unsafe.BypassRLS != tc.facts.bypassRLS || len(unsafe.OwnedTables) != len(tc.facts.owned) {
			t.Errorf("%+v: error fields %+v", tc.facts, unsafe)
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%+v: %q lacks %q", tc.facts, err, s)
			}
		}
	}
}

func TestPolicySQL(t *testing.T) {
	t.Parallel()
	stmts, err := PolicySQL("app.users")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`ALTER TABLE "app"."users" ENABLE ROW LEVEL SECURITY`,
		`ALTER TABLE "app"."users" FORCE ROW LEVEL SECURITY`,
		`DROP POLICY IF EXISTS tenant_isolation ON "app"."users"`,
		`CREATE POLICY tenant_isolation ON "app"."users" AS PERMISSIVE FOR ALL ` +
			`USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) ` +
			`WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)`,
	}
	if strings.Join(stmts, "\n") != strings.Join(want, "\n") {
		t.Errorf("PolicySQL =\n%s\nwant\n%s", strings.Join(stmts, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{"", "Users", "1users", "a.b.c", "a..b", `a"b`, "users;", strings.Repeat("x", 64), "naïve"} {
		if _, err := PolicySQL(bad); !errors.Is(err, ErrInvalidTable) {
			t.Errorf("PolicySQL(%q) err = %v, want ErrInvalidTable", bad, err)
		}
	}
}

func TestUnprotectedErrorMessage(t *testing.T) {
	t.Parallel()
	var tables []UnprotectedTable
	for _, n := range []string{"s.a", "s.b", "s.c", "s.d", "s.e", "s.f"} {
		tables = append(tables, UnprotectedTable{Table: n, Enabled: true, HasPolicy: true})
	}
	err := error(&UnprotectedError{Tables: tables})
	if !errors.Is(err, ErrUnprotected) {
		t.Errorf("%v does not match ErrUnprotected", err)
	}
	msg := err.Error()
	for _, want := range []string{"s.a (lacks FORCE)", "s.e (lacks FORCE)", "and 1 more"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "s.f") {
		t.Errorf("%q names more than five tables", msg)
	}
}
