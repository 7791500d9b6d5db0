package duckstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/autonomos/autonomos/dcl"
	dcldriver "github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/tenancy"
)

// Query implements [dcldriver.Warehouse]. The query is parsed by
// DuckDB's own parser (json_serialize_sql, which serializes SELECT
// statements only) and checked on the parse tree: one statement; every
// table reference a base table, join, subquery or VALUES list (no table
// functions, SHOW or DESCRIBE); every base table either a CTE of the
// query, unqualified, or in the tenant's schema. Unqualified tables are
// then qualified with the tenant's schema, the tree is turned back into
// SQL by json_deserialize_sql, and that text is what runs. The database
// itself has external access disabled and its configuration locked, so
// even a function the checker missed cannot reach files or the network.
func (s *Store) Query(ctx context.Context, tenant tenancy.ID, query string, maxRows int) (*dcldriver.Result, error) {
	ctx, end, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer end()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckstore: %w", err)
	}
	defer conn.Close()
	safe, err := rewrite(ctx, conn, SchemaName(tenant), query)
	if err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, safe)
	if err != nil {
		return nil, fmt.Errorf("duckstore: query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("duckstore: query: %w", err)
	}
	res := &dcldriver.Result{Columns: cols}
	ptrs := make([]any, len(cols))
	for rows.Next() {
		if len(res.Rows) == maxRows {
			res.Truncated = true
			break
		}
		vals := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("duckstore: query: %w", err)
		}
		for i := range vals {
			vals[i] = convert(vals[i])
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duckstore: query: %w", err)
	}
	return res, nil
}

// rewrite parses query with DuckDB, checks it and returns the SQL to run.
func rewrite(ctx context.Context, conn *sql.Conn, schema, query string) (string, error) {
	var text string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", query).Scan(&text); err != nil {
		return "", fmt.Errorf("duckstore: parse: %w", err)
	}
	var top struct {
		Error        bool              `json:"error"`
		ErrorType    string            `json:"error_type"`
		ErrorMessage string            `json:"error_message"`
		Statements   []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		return "", fmt.Errorf("duckstore: parse tree: %w", err)
	}
	if top.Error {
		if top.ErrorType == "not implemented" {
			return "", &dcl.QueryRefusedError{Reason: dcl.RefusedNotSelect, Detail: "only SELECT statements are allowed"}
		}
		return "", &dcl.QueryRefusedError{Reason: dcl.RefusedSyntax, Detail: top.ErrorMessage}
	}
	switch len(top.Statements) {
	case 0:
		return "", &dcl.QueryRefusedError{Reason: dcl.RefusedEmpty}
	case 1:
	default:
		return "", &dcl.QueryRefusedError{Reason: dcl.RefusedMultiple, Detail: fmt.Sprintf("%d statements", len(top.Statements))}
	}
	dec := json.NewDecoder(bytes.NewReader(top.Statements[0]))
	dec.UseNumber() // keep every number's text for the round trip
	var stmt any
	if err := dec.Decode(&stmt); err != nil {
		return "", fmt.Errorf("duckstore: parse tree: %w", err)
	}
	c := checker{schema: schema, ctes: map[string]bool{}}
	c.collectCTEs(stmt)
	if err := c.walk(stmt); err != nil {
		return "", err
	}
	tree, err := json.Marshal(map[string]any{"error": false, "statements": []any{stmt}})
	if err != nil {
		return "", fmt.Errorf("duckstore: parse tree: %w", err)
	}
	var safe string
	if err := conn.QueryRowContext(ctx, "SELECT json_deserialize_sql(CAST(CAST(? AS VARCHAR) AS JSON))", string(tree)).Scan(&safe); err != nil {
		return "", fmt.Errorf("duckstore: rebuild query: %w", err)
	}
	return safe, nil
}

// allowedNodes are the parse-tree node types (objects with a "type" and
// no expression "class") a read-only query may contain.
var allowedNodes = map[string]bool{
	"SELECT_NODE": true, "SET_OPERATION_NODE": true, "CTE_NODE": true, "RECURSIVE_CTE_NODE": true,
	"BASE_TABLE": true, "JOIN": true, "SUBQUERY": true, "EMPTY": true, "EXPRESSION_LIST": true,
	"ORDER_DEFAULT": true, "ASCENDING": true, "DESCENDING": true,
	"ORDER_MODIFIER": true, "LIMIT_MODIFIER": true, "LIMIT_PERCENT_MODIFIER": true, "DISTINCT_MODIFIER": true,
}

// safeTableFuncs are the table functions a query may use: they generate
// rows from their arguments and reach nothing else.
var safeTableFuncs = map[string]bool{"range": true, "generate_series": true, "unnest": true}

// forbiddenFuncs are scalar functions refused even though external access
// is off: they reveal settings or the catalog beyond the tenant.
var forbiddenFuncs = []string{"current_setting", "duckdb_", "pragma_", "getenv", "read_", "glob", "query", "sql_auto_complete", "json_serialize_", "json_deserialize_", "current_database", "current_schemas", "has_", "pg_", "col_description", "obj_description", "shobj_description", "format_pg_type", "format_type"}

// checker walks a parse tree. CTE names are collected over the whole
// tree: an unqualified name that is a CTE anywhere is left as it is, and
// if it is used outside that CTE's scope DuckDB looks it up in the empty
// main schema and fails, never in another tenant's.
type checker struct {
	schema string
	ctes   map[string]bool
}

func (c *checker) collectCTEs(v any) {
	switch x := v.(type) {
	case map[string]any:
		if m, ok := x["cte_map"].(map[string]any); ok {
			if entries, ok := m["map"].([]any); ok {
				for _, e := range entries {
					if em, ok := e.(map[string]any); ok {
						if k, ok := em["key"].(string); ok {
							c.ctes[strings.ToLower(k)] = true
						}
					}
				}
			}
		}
		for _, child := range x {
			c.collectCTEs(child)
		}
	case []any:
		for _, child := range x {
			c.collectCTEs(child)
		}
	}
}

func (c *checker) walk(v any) error {
	switch x := v.(type) {
	case map[string]any:
		if err := c.node(x); err != nil {
			return err
		}
		for _, child := range x {
			if err := c.walk(child); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range x {
			if err := c.walk(child); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *checker) node(x map[string]any) error {
	typ, ok := x["type"].(string)
	if !ok {
		return nil
	}
	if class, ok := x["class"].(string); ok {
		if class == "FUNCTION" {
			name, _ := x["function_name"].(string)
			name = strings.ToLower(name)
			sch, _ := x["schema"].(string)
			cat, _ := x["catalog"].(string)
			if (sch != "" && sch != "main") || (cat != "" && cat != "system") {
				return &dcl.QueryRefusedError{Reason: dcl.RefusedForbiddenFunc, Detail: sch + "." + name}
			}
			for _, f := range forbiddenFuncs {
				if name == f || (strings.HasSuffix(f, "_") && strings.HasPrefix(name, f)) {
					return &dcl.QueryRefusedError{Reason: dcl.RefusedForbiddenFunc, Detail: name}
				}
			}
		}
		return nil
	}
	if strings.HasSuffix(typ, "_TYPE_INFO") {
		return nil
	}
	switch typ {
	case "TABLE_FUNCTION":
		name := ""
		if f, ok := x["function"].(map[string]any); ok {
			name, _ = f["function_name"].(string)
			sch, _ := f["schema"].(string)
			cat, _ := f["catalog"].(string)
			if safeTableFuncs[strings.ToLower(name)] && (sch == "" || sch == "main") && (cat == "" || cat == "system") {
				return nil
			}
		}
		return &dcl.QueryRefusedError{Reason: dcl.RefusedTableFunction, Detail: name}
	case "BASE_TABLE":
		catalog, _ := x["catalog_name"].(string)
		schema, _ := x["schema_name"].(string)
		table, _ := x["table_name"].(string)
		switch {
		case !plainName(table):
			return &dcl.QueryRefusedError{Reason: dcl.RefusedNotATable, Detail: table}
		case catalog != "":
			return &dcl.QueryRefusedError{Reason: dcl.RefusedForeignSchema, Detail: catalog + "." + schema + "." + table}
		case schema == "" && c.ctes[strings.ToLower(table)]:
		case schema == "":
			x["schema_name"] = c.schema
		case strings.EqualFold(schema, c.schema):
			x["schema_name"] = c.schema
		default:
			return &dcl.QueryRefusedError{Reason: dcl.RefusedForeignSchema, Detail: schema + "." + table}
		}
		return nil
	}
	if !allowedNodes[typ] {
		return &dcl.QueryRefusedError{Reason: dcl.RefusedUnsupported, Detail: strings.ToLower(strings.ReplaceAll(typ, "_", " "))}
	}
	return nil
}

// plainName reports whether a table name is a plain identifier: file
// paths and URLs used as tables ('data.csv') are not.
func plainName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
