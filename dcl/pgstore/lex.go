package pgstore

import (
	"strings"

	"github.com/autonomos/autonomos/dcl"
)

// scanned is what [scan] learns about a query's text.
type scanned struct {
	// first is the first keyword, lower case ("" when the text starts
	// with a parenthesis).
	first string
	// end is the length of the statement: the text before a final
	// semicolon.
	end int
}

// forbiddenIdent reports whether an identifier names a function the
// read-only query API never calls: ones that change or read run-time
// settings (the tenant of row-level security is one), run SQL given as
// text (which would escape these checks), reach server files, large
// objects or other sessions, take locks, or tell the server's address,
// database and roles. All pg_*, lo_* and inet_* names are refused,
// whether functions or catalog relations.
func forbiddenIdent(id string) bool {
	switch id {
	case "set_config", "current_setting", "ts_stat", "ts_rewrite", "txid_current", "dblink",
		// who and where the server is: not the tenant's data
		"current_database", "current_user", "session_user", "current_role", "current_schemas":
		return true
	}
	return strings.HasPrefix(id, "pg_") || strings.HasPrefix(id, "lo_") || strings.HasPrefix(id, "inet_") ||
		strings.HasPrefix(id, "dblink_") || strings.Contains(id, "_to_xml")
}

// forbiddenReason is the refusal reason of a forbidden identifier: a
// system schema, or else a function or catalog relation.
func forbiddenReason(id string) string {
	if id == "pg_catalog" || id == "pg_toast" || strings.HasPrefix(id, "pg_temp") {
		return dcl.RefusedForeignSchema
	}
	return dcl.RefusedForbiddenFunc
}

// scan checks a query's text without parsing its grammar (PostgreSQL
// does that): one statement, starting with SELECT, WITH, VALUES, TABLE or
// a parenthesis, balanced parentheses, no forbidden identifier (see
// [forbiddenIdent]) and no Unicode-escaped identifiers or strings (which
// could spell a forbidden name). It follows PostgreSQL's lexical rules
// for comments (nested), quoted identifiers, standard and escape strings
// and dollar quoting.
func scan(q string) (scanned, error) {
	var out scanned
	refuse := func(reason, detail string) (scanned, error) {
		return scanned{}, &dcl.QueryRefusedError{Reason: reason, Detail: detail}
	}
	depth, tokens := 0, 0
	ended := false // a top-level semicolon was seen
	out.end = -1
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			n := 1
			i += 2
			for n > 0 {
				if i+1 >= len(q) {
					return refuse(dcl.RefusedSyntax, "unterminated comment")
				}
				switch {
				case q[i] == '/' && q[i+1] == '*':
					n++
					i += 2
				case q[i] == '*' && q[i+1] == '/':
					n--
					i += 2
				default:
					i++
				}
			}
			continue
		case c == ';':
			if !ended {
				out.end = i
			}
			ended = true
			i++
			continue
		}
		if ended {
			return refuse(dcl.RefusedMultiple, "")
		}
		tokens++
		if tokens == 1 && c != '(' && (!isIdentStart(c) || i+1 < len(q) && (q[i+1] == '\'' || q[i+1] == '&')) {
			return refuse(dcl.RefusedNotSelect, "")
		}
		switch {
		case c == '\'':
			j, ok := skipQuoted(q, i, '\'', false)
			if !ok {
				return refuse(dcl.RefusedSyntax, "unterminated string")
			}
			i = j
		case (c == 'e' || c == 'E') && i+1 < len(q) && q[i+1] == '\'':
			j, ok := skipQuoted(q, i+1, '\'', true)
			if !ok {
				return refuse(dcl.RefusedSyntax, "unterminated string")
			}
			i = j
		case (c == 'u' || c == 'U') && i+2 < len(q) && q[i+1] == '&' && (q[i+2] == '\'' || q[i+2] == '"'):
			return refuse(dcl.RefusedUnsupported, "Unicode escapes (U&)")
		case c == '"':
			j, ok := skipQuoted(q, i, '"', false)
			if !ok {
				return refuse(dcl.RefusedSyntax, "unterminated quoted identifier")
			}
			id := strings.ReplaceAll(q[i+1:j-1], `""`, `"`)
			if forbiddenIdent(id) {
				return refuse(forbiddenReason(id), id)
			}
			if tokens == 1 {
				return refuse(dcl.RefusedNotSelect, "starts with an identifier")
			}
			i = j
		case c == '$':
			j := i + 1
			for j < len(q) && isIdentByte(q[j]) && !(j == i+1 && isDigit(q[j])) {
				j++
			}
			if j < len(q) && q[j] == '$' {
				tag := q[i : j+1]
				k := strings.Index(q[j+1:], tag)
				if k < 0 {
					return refuse(dcl.RefusedSyntax, "unterminated dollar-quoted string")
				}
				i = j + 1 + k + len(tag)
				break
			}
			// a parameter ($1)
			return refuse(dcl.RefusedUnsupported, "parameters")
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			if depth < 0 {
				return refuse(dcl.RefusedSyntax, "unbalanced parentheses")
			}
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(q) && (isIdentByte(q[j]) || q[j] == '$') {
				j++
			}
			id := strings.ToLower(q[i:j])
			if tokens == 1 {
				switch id {
				case "select", "with", "values", "table":
					out.first = id
				default:
					return refuse(dcl.RefusedNotSelect, strings.ToUpper(truncate(id, 32)))
				}
			}
			if forbiddenIdent(id) {
				return refuse(forbiddenReason(id), id)
			}
			i = j
		default:
			if tokens == 1 {
				return refuse(dcl.RefusedNotSelect, "")
			}
			i++
		}
	}
	if tokens == 0 {
		return refuse(dcl.RefusedEmpty, "")
	}
	if depth != 0 {
		return refuse(dcl.RefusedSyntax, "unbalanced parentheses")
	}
	if out.end < 0 {
		out.end = len(q)
	}
	return out, nil
}

// skipQuoted returns the index after the quoted text starting at q[i]
// (the opening quote), where a doubled quote is a quote and, in escape
// strings, a backslash escapes the next byte.
func skipQuoted(q string, i int, quote byte, backslash bool) (int, bool) {
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if backslash {
				j++
			}
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentByte(c byte) bool { return isIdentStart(c) || isDigit(c) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
