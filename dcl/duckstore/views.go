package duckstore

import (
	"fmt"
	"strings"

	dcldriver "github.com/autonomos/autonomos/dcl/driver"
)

// legalSuffixes are dropped from account names before comparing them.
const legalSuffixes = `inc|incorporated|llc|llp|ltd|limited|gmbh|ag|corp|corporation|co|company|plc|sa|sas|sarl|srl|bv|nv|oy|ab|as|pty|kk`

// normName is the SQL expression of a normalized company name: lower
// case, punctuation as spaces, legal suffixes dropped, spaces collapsed;
// NULL when nothing is left.
func normName(col string) string {
	return fmt.Sprintf(`nullif(trim(regexp_replace(regexp_replace(regexp_replace(lower(%s), '[^a-z0-9]+', ' ', 'g'), '\b(%s)\b', ' ', 'g'), ' +', ' ', 'g')), '')`, col, legalSuffixes)
}

// normNameColumn holds [normName] of an account's name, computed when
// the row is written: the regular expressions would otherwise run over
// every account on every query of the views (as dcl/pgstore's generated
// column of the same name).
const normNameColumn = "_norm_name"

// hasNormName reports whether t is resolved by normalized name, and so
// has [normNameColumn].
func hasNormName(t *dcldriver.Table) bool {
	var name, domain bool
	for _, c := range t.Columns {
		name = name || c.Name == "name"
		domain = domain || c.Name == "domain"
	}
	return t.Entity == "account" && name && domain
}

// viewStatements returns the statements creating the unified views of
// an entity that has resolution rules (account, contact, lead), or none.
//
// <entity>_members lists every live record with its cluster_id and the
// rule that placed it (match_rule); <entity>_unified has one golden
// record per cluster: for each field the most recent non-null value,
// plus member_count, sources (the contributing source systems),
// connections and version_at (the newest member version).
func viewStatements(schema string, t dcldriver.Table) []string {
	has := func(name string) bool {
		for _, c := range t.Columns {
			if c.Name == name {
				return true
			}
		}
		return false
	}
	tbl := schema + "." + ident(t.Entity)
	var members string
	switch {
	case hasNormName(&t):
		members = fmt.Sprintf(`WITH base AS (
  SELECT * EXCLUDE (%s), nullif(lower(trim(domain)), '') AS _nd, %s AS _nn FROM %s WHERE NOT _deleted
), name_domain AS (
  SELECT _nn, min(_nd) AS _nd FROM base WHERE _nd IS NOT NULL AND _nn IS NOT NULL
  GROUP BY _nn HAVING count(DISTINCT _nd) = 1
)
SELECT CASE WHEN b._nd IS NOT NULL THEN 'domain:' || b._nd
            WHEN nd._nd IS NOT NULL THEN 'domain:' || nd._nd
            WHEN b._nn IS NOT NULL THEN 'name:' || b._nn
            ELSE 'record:' || b._key END AS cluster_id,
       CASE WHEN b._nd IS NOT NULL THEN 'domain'
            WHEN nd._nd IS NOT NULL THEN 'name_to_domain'
            WHEN b._nn IS NOT NULL THEN 'name'
            ELSE 'none' END AS match_rule,
       b.* EXCLUDE (_nd, _nn)
FROM base b LEFT JOIN name_domain nd ON b._nn = nd._nn`, normNameColumn, normNameColumn, tbl)
	case (t.Entity == "contact" || t.Entity == "lead") && has("email"):
		members = fmt.Sprintf(`SELECT CASE WHEN nullif(lower(trim(email)), '') IS NOT NULL THEN 'email:' || lower(trim(email)) ELSE 'record:' || _key END AS cluster_id,
       CASE WHEN nullif(lower(trim(email)), '') IS NOT NULL THEN 'email' ELSE 'none' END AS match_rule,
       *
FROM %s WHERE NOT _deleted`, tbl)
	default:
		return nil
	}
	mv := schema + "." + ident(t.Entity+"_members")
	uv := schema + "." + ident(t.Entity+"_unified")
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS SELECT cluster_id, count(*) AS member_count, "+
		"list(DISTINCT _source_system ORDER BY _source_system) AS sources, "+
		"list(DISTINCT _connection_id ORDER BY _connection_id) AS connections, "+
		"max(_version_at) AS version_at", uv)
	for _, c := range t.Columns {
		n := ident(c.Name)
		fmt.Fprintf(&b, ", arg_max(%s, {'v': _version_at, 'i': _ingested_at, 'e': _event_id}) FILTER (WHERE %s IS NOT NULL) AS %s", n, n, n)
	}
	fmt.Fprintf(&b, " FROM %s GROUP BY cluster_id", mv)
	return []string{
		fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", mv, members),
		b.String(),
	}
}
