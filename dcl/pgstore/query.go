package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// tableFunctions may appear in FROM: they read only their arguments.
var tableFunctions = map[string]bool{
	"unnest": true, "generate_series": true, "generate_subscripts": true,
	"jsonb_array_elements": true, "jsonb_array_elements_text": true, "jsonb_each": true, "jsonb_each_text": true,
	"json_array_elements": true, "json_array_elements_text": true, "json_each": true, "json_each_text": true,
	"regexp_matches": true, "regexp_split_to_table": true, "string_to_table": true,
}

// Query implements [driver.Warehouse]. The layers, each enough to stop
// what the next one would also stop:
//
//  1. The text is scanned ([scan]): one statement starting with SELECT,
//     WITH, VALUES, TABLE or "(", no identifier that names a setting,
//     dynamic-SQL, file, large-object, lock or catalog function.
//  2. It runs in a READ ONLY pgtenant transaction (row-level security
//     bound to tenant) with statement_timeout from ctx's deadline and
//     search_path set to the warehouse schema, wrapped as
//     SELECT * FROM (query) LIMIT maxRows+1, so that only a query
//     expression parses and the row cap is the server's.
//  3. Its plan (EXPLAIN VERBOSE, not run) may read only relations of the
//     warehouse schema and only the table functions in tableFunctions.
//
// The application role is not a superuser (Open checks), so PostgreSQL's
// file functions are refused by privileges too.
func (s *Store) Query(ctx context.Context, tenant tenancy.ID, query string, maxRows int) (*driver.Result, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	sc, err := scan(query)
	if err != nil {
		return nil, err
	}
	if maxRows <= 0 {
		maxRows = 1
	}
	wrapped := "SELECT * FROM (\n" + query[:sc.end] + "\n) AS aos_q LIMIT " + strconv.Itoa(maxRows+1)
	var res *driver.Result
	err = pgtenant.RunTxOptions(ctx, s.pool, tenant, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		timeout := "0"
		if dl, ok := ctx.Deadline(); ok {
			timeout = strconv.FormatInt(max(time.Until(dl).Milliseconds(), 1), 10)
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true), set_config('search_path', $2, true)", timeout, Schema); err != nil {
			return fmt.Errorf("pgstore: query settings: %w", err)
		}
		if err := checkPlan(ctx, tx, wrapped); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, wrapped, pgx.QueryExecModeDescribeExec)
		if err != nil {
			return mapQueryError(ctx, err)
		}
		defer rows.Close()
		res = &driver.Result{}
		for _, fd := range rows.FieldDescriptions() {
			res.Columns = append(res.Columns, fd.Name)
		}
		for rows.Next() {
			if len(res.Rows) == maxRows {
				res.Truncated = true
				break
			}
			vals, err := rows.Values()
			if err != nil {
				return mapQueryError(ctx, err)
			}
			for i := range vals {
				vals[i] = convert(vals[i])
			}
			res.Rows = append(res.Rows, vals)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return mapQueryError(ctx, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkPlan refuses a query whose plan reads a relation outside the
// warehouse schema or calls a table function not in tableFunctions.
func checkPlan(ctx context.Context, tx pgx.Tx, wrapped string) error {
	var plan []byte
	err := tx.QueryRow(ctx, "EXPLAIN (VERBOSE, FORMAT JSON) "+wrapped, pgx.QueryExecModeDescribeExec).Scan(&plan)
	if err != nil {
		return mapQueryError(ctx, err)
	}
	var doc any
	if err := json.Unmarshal(plan, &doc); err != nil {
		return fmt.Errorf("pgstore: read plan: %w", err)
	}
	return walkPlan(doc)
}

func walkPlan(v any) error {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := walkPlan(e); err != nil {
				return err
			}
		}
	case map[string]any:
		schema, _ := x["Schema"].(string)
		if rel, ok := x["Relation Name"].(string); ok && schema != Schema {
			return &dcl.QueryRefusedError{Reason: dcl.RefusedForeignSchema, Detail: schema + "." + rel}
		}
		if fn, ok := x["Function Name"].(string); ok && !tableFunctions[fn] {
			return &dcl.QueryRefusedError{Reason: dcl.RefusedTableFunction, Detail: fn}
		}
		if fn, ok := x["Table Function Name"].(string); ok {
			return &dcl.QueryRefusedError{Reason: dcl.RefusedTableFunction, Detail: fn}
		}
		for _, e := range x {
			if err := walkPlan(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// mapQueryError turns PostgreSQL's refusals of the user's query into
// *dcl.QueryRefusedError, a statement timeout into dcl.ErrQueryTimeout,
// and wraps anything else once.
func mapQueryError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("pgstore: query: %w", err)
	}
	refused := func(reason string) error {
		return &dcl.QueryRefusedError{Reason: reason, Detail: pe.Message}
	}
	switch pe.Code {
	case "42601": // syntax_error, including several commands
		return refused(dcl.RefusedSyntax)
	case "25006": // read_only_sql_transaction
		return refused(dcl.RefusedNotSelect)
	case "0A000": // feature_not_supported (a data-modifying WITH, ...)
		return refused(dcl.RefusedUnsupported)
	case "42883": // undefined_function
		return refused(dcl.RefusedUnsupported)
	case "42501": // insufficient_privilege
		return refused(dcl.RefusedForbiddenFunc)
	case "42P02", "08P01": // parameters
		return refused(dcl.RefusedUnsupported)
	case "57014": // query_canceled: statement_timeout
		return fmt.Errorf("%w: %w", dcl.ErrQueryTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("pgstore: query: %w", err)
}

// convert turns a value pgx decoded into the portable Go types of
// [driver.Row] and [driver.Result].
func convert(v any) any {
	switch x := v.(type) {
	case pgtype.Numeric:
		if !x.Valid {
			return nil
		}
		if x.NaN {
			return math.NaN()
		}
		switch x.InfinityModifier {
		case pgtype.Infinity:
			return math.Inf(1)
		case pgtype.NegativeInfinity:
			return math.Inf(-1)
		}
		return canonical.Decimal{Decimal: decimal.NewFromBigInt(x.Int, x.Exp)}
	case time.Time:
		return x.UTC()
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case float32:
		return float64(x)
	case [16]byte:
		return tenancy.ID(x).String()
	case []any:
		for i := range x {
			x[i] = convert(x[i])
		}
		return x
	}
	return v
}
