package pgstore

import (
	"fmt"
	"strings"

	"github.com/autonomos/autonomos/dcl/driver"
)

// legalSuffixes are dropped from account names before comparing them
// (the same list as dcl/duckstore).
const legalSuffixes = `inc|incorporated|llc|llp|ltd|limited|gmbh|ag|corp|corporation|co|company|plc|sa|sas|sarl|srl|bv|nv|oy|ab|as|pty|kk`

// normName is the SQL expression of a normalized company name: lower
// case, punctuation as spaces, legal suffixes dropped, spaces collapsed;
// NULL when nothing is left. \y is PostgreSQL's word boundary.
func normName(col string) string {
	return fmt.Sprintf(`nullif(trim(regexp_replace(regexp_replace(regexp_replace(lower(%s), '[^a-z0-9]+', ' ', 'g'), '\y(%s)\y', ' ', 'g'), ' +', ' ', 'g')), '')`, col, legalSuffixes)
}

// normNameColumn is the stored generated column holding [normName] of
// an account's name.
const normNameColumn = "_norm_name"

// hasNormName reports whether t is resolved by normalized name, and so
// has [normNameColumn].
func hasNormName(t driver.Table) bool {
	return t.Entity == "account" && hasColumn(t, "domain") && hasColumn(t, "name")
}

func hasColumn(t driver.Table, name string) bool {
	for _, c := range t.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

// viewStatements returns the statements creating the unified views of
// an entity with resolution rules (account, contact, lead), or nil. The
// views are security_invoker (PostgreSQL 15): the row-level security of
// the tables binds whoever queries them, so a tenant's view shows only
// its own rows. The rules are dcl/duckstore's:
//
// <entity>_members lists every live record with its cluster_id and the
// match_rule that placed it; <entity>_unified has one golden record per
// cluster: each field's most recent non-null value (by version, then
// ingestion time, then event ID), member_count, sources and connections.
func viewStatements(t driver.Table) []string {
	cols := []string{"tenant_id"}
	for _, l := range lineage {
		cols = append(cols, l.name)
	}
	for _, c := range t.Columns {
		cols = append(cols, ident(c.Name))
	}
	bcols := "b." + strings.Join(cols, ", b.")
	tbl := qualified(t.Entity)
	var members string
	switch {
	case hasNormName(t):
		members = fmt.Sprintf(`WITH base AS (
  SELECT *, nullif(lower(trim(domain)), '') AS _nd, %s AS _nn FROM %s WHERE NOT _deleted
), name_domain AS (
  SELECT tenant_id, _nn, min(_nd) AS _nd FROM base WHERE _nd IS NOT NULL AND _nn IS NOT NULL
  GROUP BY tenant_id, _nn HAVING count(DISTINCT _nd) = 1
)
SELECT CASE WHEN b._nd IS NOT NULL THEN 'domain:' || b._nd
            WHEN nd._nd IS NOT NULL THEN 'domain:' || nd._nd
            WHEN b._nn IS NOT NULL THEN 'name:' || b._nn
            ELSE 'record:' || b._key END AS cluster_id,
       CASE WHEN b._nd IS NOT NULL THEN 'domain'
            WHEN nd._nd IS NOT NULL THEN 'name_to_domain'
            WHEN b._nn IS NOT NULL THEN 'name'
            ELSE 'none' END AS match_rule,
       %s
FROM base b LEFT JOIN name_domain nd ON b.tenant_id = nd.tenant_id AND b._nn = nd._nn`, normNameColumn, tbl, bcols)
	case (t.Entity == "contact" || t.Entity == "lead") && hasColumn(t, "email"):
		members = fmt.Sprintf(`SELECT CASE WHEN nullif(lower(trim(b.email)), '') IS NOT NULL THEN 'email:' || lower(trim(b.email)) ELSE 'record:' || b._key END AS cluster_id,
       CASE WHEN nullif(lower(trim(b.email)), '') IS NOT NULL THEN 'email' ELSE 'none' END AS match_rule,
       %s
FROM %s b WHERE NOT b._deleted`, bcols, tbl)
	default:
		return nil
	}
	mv := qualified(t.Entity + "_members")
	uv := qualified(t.Entity + "_unified")
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE VIEW %s WITH (security_invoker = true) AS\nSELECT cluster_id, count(*) AS member_count, "+
		"array_agg(DISTINCT _source_system ORDER BY _source_system) AS sources, "+
		"array_agg(DISTINCT _connection_id ORDER BY _connection_id) AS connections, "+
		"max(_version_at) AS updated_at_version", uv)
	for _, c := range t.Columns {
		n := ident(c.Name)
		fmt.Fprintf(&b, ",\n  (array_agg(%s ORDER BY _version_at DESC, _ingested_at DESC, _event_id DESC) FILTER (WHERE %s IS NOT NULL))[1] AS %s", n, n, n)
	}
	fmt.Fprintf(&b, ",\n  tenant_id\nFROM %s GROUP BY tenant_id, cluster_id", mv)
	return []string{
		fmt.Sprintf("CREATE VIEW %s WITH (security_invoker = true) AS\n%s", mv, members),
		b.String(),
	}
}
